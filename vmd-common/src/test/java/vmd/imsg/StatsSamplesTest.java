package vmd.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatsSamplesTest {
    private static final StatsSample.Value EXITS =
            new StatsSample.Value("vmd_vcpu_exits_total", StatsSample.labels("reason", "io"), 12345);
    private static final StatsSample.Histogram LATENCY = new StatsSample.Histogram("vmd_disk_request_duration_seconds",
            StatsSample.labels("op", "read"), List.of(0.00005, 0.001, 1.0), List.of(3L, 0L, 7L, 1L), 0.125);

    private static StatsSamples decode(byte[] payload) {
        return Imsg.of(ImsgType.STATS_RESPONSE, payload).decode(StatsSamples::decode);
    }

    @Test
    void valuesAndHistogramsRoundTripThroughAFrame() {
        StatsSamples s = new StatsSamples(List.of(EXITS, LATENCY,
                new StatsSample.Value("vmd_vm_guest_memory_bytes", List.of(), 67108864),
                new StatsSample.Value("g", StatsSample.labels("vm", "wéb \"quoted\"\n\\"), Double.NaN)));
        ByteBuffer frame = ImsgEncoder.encode(Imsg.of(ImsgType.STATS_RESPONSE, s).withPeerId(77));
        ImsgDecoder d = new ImsgDecoder();
        d.feed(frame, new int[0]);
        Imsg msg = d.next();
        assertEquals(77, msg.peerId());
        StatsSamples back = msg.decode(StatsSamples::decode);
        assertEquals(s.samples().subList(0, 3), back.samples().subList(0, 3));
        assertTrue(Double.isNaN(((StatsSample.Value) back.samples().get(3)).value()));
        assertEquals(11, ((StatsSample.Histogram) back.samples().get(1)).count());
        assertEquals(new StatsSamples(List.of()), decode(new StatsSamples(List.of()).toBytes()));
    }

    @Test
    void everyTruncationIsAProtocolErrorThatNamesTheType() {
        byte[] whole = new StatsSamples(List.of(EXITS, LATENCY)).toBytes();
        for (int n = 0; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            ImsgProtocolException e = assertThrows(ImsgProtocolException.class, () -> decode(cut), "cut at " + n);
            assertTrue(e.getMessage().startsWith("malformed STATS_RESPONSE payload: "), e.getMessage());
        }
    }

    @Test
    void hostileCountsAndValuesAreRefusedWithoutAllocating() {
        // a list of four billion samples in five bytes
        assertEquals("malformed STATS_RESPONSE payload: list count 4294967295 exceeds payload (1 bytes left)",
                assertThrows(ImsgProtocolException.class, () -> decode(new PayloadWriter().u32(0xffff_ffffL).u8(1).toByteArray())).getMessage());
        assertEquals("malformed STATS_RESPONSE payload: unknown sample kind 9",
                assertThrows(ImsgProtocolException.class, () -> decode(new PayloadWriter().u32(1).u8(9).toByteArray())).getMessage());
        assertMalformed("invalid metric name \"1bad name\"", sample(1, "1bad name", List.of(), w -> w.u64(0)));
        assertMalformed("invalid label name \"__reserved\"", sample(1, "m", List.of("__reserved", "x"), w -> w.u64(0)));
        assertMalformed("label op given twice", sample(1, "m", List.of("op", "a", "op", "b"), w -> w.u64(0)));
        assertMalformed("a histogram may not have a label le", sample(2, "h", List.of("le", "1"), w -> histogram(w, List.of(1.0), List.of(0L, 0L))));
        assertMalformed("histogram h has 3 counts for 1 bounds", sample(2, "h", List.of(), w -> histogram(w, List.of(1.0), List.of(0L, 0L, 0L))));
        assertMalformed("histogram h bounds are not finite and increasing", sample(2, "h", List.of(), w -> histogram(w, List.of(2.0, 1.0), List.of(0L, 0L, 0L))));
        assertMalformed("histogram h bounds are not finite and increasing",
                sample(2, "h", List.of(), w -> histogram(w, List.of(Double.POSITIVE_INFINITY), List.of(0L, 0L))));
        assertMalformed("histogram h has a negative count", sample(2, "h", List.of(), w -> histogram(w, List.of(1.0), List.of(-1L, 0L))));
        assertMalformed("label op value longer than 256", sample(1, "m", List.of("op", "x".repeat(257)), w -> w.u64(0)));
    }

    @Test
    void garbageNeverDecodesIntoAnythingButSamplesOrAProtocolError() {
        Random random = new Random(13);
        byte[] valid = new StatsSamples(List.of(EXITS, LATENCY)).toBytes();
        for (int i = 0; i < 20_000; i++) {
            byte[] b = i % 2 == 0 ? new byte[random.nextInt(64)] : valid.clone();
            if (i % 2 == 0) random.nextBytes(b);
            else for (int k = 0; k < 3; k++) b[random.nextInt(b.length)] = (byte) random.nextInt();
            try {
                decode(b).samples().forEach(s -> assertTrue(s.labels().size() <= StatsSample.MAX_LABELS));
            } catch (ImsgProtocolException expected) {
                // the only way a bad payload may fail
            }
        }
    }

    @Test
    void chunksKeepOrderAndEachFitsAFrame() {
        List<StatsSample> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) many.add(new StatsSample.Value("vmd_vm_vcpus", StatsSample.labels("vm", "vm" + i), i));
        List<StatsSamples> chunks = StatsSamples.chunks(many);
        assertTrue(chunks.size() > 1, chunks.size() + " chunks");
        List<StatsSample> joined = new ArrayList<>();
        for (StatsSamples c : chunks) {
            Imsg.of(ImsgType.STATS_RESPONSE, c); // throws if it exceeds a frame
            joined.addAll(c.samples());
        }
        assertEquals(many, joined);
        assertEquals(chunks.get(0), StatsSamples.fitting(many));
        assertEquals(List.of(), StatsSamples.chunks(List.of()));
    }

    @Test
    void theLargestSampleTheRecordsAllowFitsOneFrame() {
        List<StatsSample.Label> labels = new ArrayList<>();
        for (int i = 0; i < StatsSample.MAX_LABELS; i++) labels.add(new StatsSample.Label("l".repeat(63) + (char) ('a' + i), "\u20ac".repeat(256)));
        List<Double> bounds = new ArrayList<>();
        List<Long> counts = new ArrayList<>(List.of(0L));
        for (int i = 0; i < StatsSample.MAX_BUCKETS; i++) {
            bounds.add((double) i);
            counts.add((long) i);
        }
        StatsSample big = new StatsSample.Histogram("m".repeat(StatsSample.MAX_NAME), labels, bounds, counts, 1);
        Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of(big)));
    }

    @Test
    void parentLabelsGoFirst() {
        StatsSample s = EXITS.withLabels(StatsSample.labels("vm", "web"));
        assertEquals(StatsSample.labels("vm", "web", "reason", "io"), s.labels());
        assertEquals("web", s.label("vm"));
        assertEquals(null, s.label("disk"));
        assertThrows(IllegalArgumentException.class, () -> EXITS.withLabels(StatsSample.labels("reason", "x")));
    }

    private static void assertMalformed(String why, byte[] payload) {
        assertEquals("malformed STATS_RESPONSE payload: " + why,
                assertThrows(ImsgProtocolException.class, () -> decode(payload)).getMessage());
    }

    /** One sample, written by hand: tag, name, labels, then the rest. */
    private static byte[] sample(int tag, String name, List<String> labelPairs, java.util.function.Consumer<PayloadWriter> rest) {
        PayloadWriter w = new PayloadWriter().u32(1).u8(tag).string(name).u32(labelPairs.size() / 2);
        for (String s : labelPairs) w.string(s);
        rest.accept(w);
        return w.toByteArray();
    }

    private static void histogram(PayloadWriter w, List<Double> bounds, List<Long> counts) {
        w.list(bounds, (o, b) -> o.u64(Double.doubleToRawLongBits(b)));
        w.list(counts, PayloadWriter::u64);
        w.u64(0);
    }
}

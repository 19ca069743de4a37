package vmd.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vmd.sys.Fds;

class ImsgDecoderTest {
    private static final byte[] NO_BODY = new byte[0];

    /** A stream of frames and, for each frame that carries one, its descriptor. */
    private record Stream(byte[] bytes, List<Imsg> messages, long[] fdFrameStarts, int[] fds) {
        static Stream of(Imsg... msgs) {
            ByteBuffer all = ByteBuffer.allocate(msgs.length * ImsgHeader.MAX_IMSGSIZE);
            List<Long> starts = new ArrayList<>();
            List<Integer> fds = new ArrayList<>();
            for (Imsg m : msgs) {
                if (m.hasFd()) {
                    starts.add((long) all.position());
                    fds.add(m.fd());
                }
                all.put(ImsgEncoder.encode(m));
            }
            return new Stream(Arrays.copyOf(all.array(), all.position()), List.of(msgs),
                    starts.stream().mapToLong(Long::longValue).toArray(), fds.stream().mapToInt(Integer::intValue).toArray());
        }

        /** Feeds the stream cut at {@code cuts}, each descriptor with the chunk holding its frame's first byte. */
        List<Imsg> decode(int... cuts) {
            ImsgDecoder d = new ImsgDecoder();
            List<Imsg> out = new ArrayList<>();
            int from = 0;
            int[] ends = Arrays.copyOf(cuts, cuts.length + 1);
            ends[cuts.length] = bytes.length;
            for (int to : ends) {
                List<Integer> withChunk = new ArrayList<>();
                for (int i = 0; i < fds.length; i++) if (fdFrameStarts[i] >= from && fdFrameStarts[i] < to) withChunk.add(fds[i]);
                d.feed(ByteBuffer.wrap(bytes, from, to - from), withChunk.stream().mapToInt(Integer::intValue).toArray());
                for (Imsg m; (m = d.next()) != null; ) out.add(m);
                from = to;
            }
            assertEquals(0, d.pendingBytes());
            assertEquals(0, d.queuedFds());
            return out;
        }
    }

    private static Stream sample(int fd) {
        return Stream.of(
                Imsg.of(ImsgType.CHILD_READY, new ChildReady("vm", 1234)).withPid(1234),
                Imsg.of(ImsgType.CHILD_FD, new ChildFd("memfd")).withFd(fd).withPeerId(7),
                Imsg.of(ImsgType.RESET),
                Imsg.of(ImsgType.CHILD_CONFIG, new byte[3000]),
                Imsg.of(ImsgType.CHILD_FD, new ChildFd("disk0")).withFd(fd + 1));
    }

    @Test
    void splitAtEveryByteBoundary() {
        Stream s = sample(100); // numbers only: every frame claims its fd, nothing is closed
        for (int cut = 0; cut <= s.bytes.length; cut++) {
            assertEquals(s.messages, s.decode(cut), "cut at " + cut);
        }
    }

    @Test
    void oneByteAtATime() {
        Stream s = sample(100);
        int[] cuts = new int[s.bytes.length - 1];
        for (int i = 0; i < cuts.length; i++) cuts[i] = i + 1;
        assertEquals(s.messages, s.decode(cuts));
    }

    @Test
    void severalFramesPerChunk() {
        Stream s = sample(100);
        assertEquals(s.messages, s.decode());
        int secondFrame = ImsgEncoder.encode(s.messages.get(0)).remaining();
        assertEquals(s.messages, s.decode(secondFrame + 3));
    }

    @Test
    void incompleteFrameWaitsForMore() {
        ImsgDecoder d = new ImsgDecoder();
        byte[] frame = ImsgEncoder.encode(Imsg.of(ImsgType.SHUTDOWN, new Shutdown(5))).array();
        d.feed(ByteBuffer.wrap(frame, 0, frame.length - 1));
        assertNull(d.next());
        assertEquals(frame.length - 1, d.pendingBytes());
        d.feed(ByteBuffer.wrap(frame, frame.length - 1, 1));
        assertEquals(new Shutdown(5), d.next().decode(Shutdown::decode));
        assertNull(d.next());
    }

    // ---- malformed streams: each fails clearly and leaks no descriptor ----

    /**
     * Runs {@code feed} on a fresh decoder with a real pipe write end available as {@code fd};
     * expects {@code expected} from next(); then closes queued fds and checks that nothing
     * leaked: the pipe's write end, if handed to the decoder, is closed (its read end sees EOF)
     * and no pipe or socket is open that was not open before.
     */
    private static void assertRejected(String expected, Feed feed) {
        assertRejected(expected, feed, true);
    }

    /** Loads every class the checks use: the JVM opens jars lazily, which would count as leaks. */
    @BeforeAll
    static void warmUp() {
        assertRejected("descriptor received with no message claiming it",
                (d, fd) -> withFd(d, ByteBuffer.allocate(0), fd), false);
    }

    private static void assertRejected(String expected, Feed feed, boolean countFds) {
        Set<String> before = TestFds.openFds();
        int[] pipe = Fds.pipe();
        ImsgDecoder d = new ImsgDecoder();
        boolean handedOver = feed.feed(d, pipe[1]);
        ImsgProtocolException e = assertThrows(ImsgProtocolException.class, () -> {
            for (Imsg m; (m = d.next()) != null; ) assertEquals(-1, m.fd(), "no descriptor may be handed out: " + m);
        });
        assertEquals(expected, e.getMessage());
        assertSame(e, assertThrows(ImsgProtocolException.class, d::next), "a failed decoder stays failed");
        d.closeQueuedFds();
        assertEquals(0, d.queuedFds());
        if (handedOver) {
            assertTrue(TestFds.writersClosed(pipe[0]), "the queued descriptor was not closed");
        } else {
            Fds.close(pipe[1]);
        }
        Fds.close(pipe[0]);
        if (countFds) TestFds.assertNoNewFds(before);
    }

    /** Feeds a decoder; returns true if it handed {@code fd} to it. */
    @FunctionalInterface
    private interface Feed {
        boolean feed(ImsgDecoder d, int fd);
    }

    private static boolean bytesOnly(ImsgDecoder d, ByteBuffer chunk) {
        d.feed(chunk);
        return false;
    }

    private static boolean withFd(ImsgDecoder d, ByteBuffer chunk, int fd) {
        d.feed(chunk, fd);
        return true;
    }

    @Test
    void lengthBelowHeader() {
        assertRejected("frame length 9 below header size 16",
                (d, fd) -> bytesOnly(d, TestFds.rawFrame(ImsgType.RESET.code(), 9, 0, NO_BODY)));
    }

    @Test
    void lengthAboveMaximumIsRejectedFromTheHeaderAlone() {
        assertRejected("frame length 20000 exceeds maximum 16384",
                (d, fd) -> withFd(d, TestFds.rawFrame(ImsgType.CHILD_FD.code(), 20000, 1, NO_BODY), fd));
    }

    @Test
    void unknownType() {
        assertRejected("unknown message type 4294967295",
                (d, fd) -> bytesOnly(d, TestFds.rawFrame(-1, 0, NO_BODY)));
    }

    @Test
    void unknownFlagBits() {
        assertRejected("unknown flag bits 0x4 on RESET",
                (d, fd) -> bytesOnly(d, TestFds.rawFrame(ImsgType.RESET.code(), 4, NO_BODY)));
    }

    @Test
    void hasFdOnATypeThatCarriesNone() {
        assertRejected("CHILD_READY flagged HASFD but carries no descriptor",
                (d, fd) -> withFd(d, TestFds.rawFrame(ImsgType.CHILD_READY.code(), 1, new ChildReady("vm", 1).toBytes()), fd));
    }

    @Test
    void requiredDescriptorMissing() {
        assertRejected("CHILD_FD requires a descriptor but HASFD is not set",
                (d, fd) -> bytesOnly(d, TestFds.rawFrame(ImsgType.CHILD_FD.code(), 0, new ChildFd("tap0").toBytes())));
    }

    @Test
    void hasFdButNoDescriptorQueued() {
        assertRejected("CHILD_FD flagged HASFD but no descriptor arrived with it",
                (d, fd) -> bytesOnly(d, TestFds.rawFrame(ImsgType.CHILD_FD.code(), 1, new ChildFd("tap0").toBytes())));
    }

    @Test
    void descriptorArrivingAfterTheFramesFirstByteIsNotItsOwn() {
        ByteBuffer frame = TestFds.rawFrame(ImsgType.CHILD_FD.code(), 1, new ChildFd("tap0").toBytes());
        assertRejected("CHILD_FD flagged HASFD but no descriptor arrived with it", (d, fd) -> {
            d.feed(frame.duplicate().limit(5));
            return withFd(d, frame.duplicate().position(5), fd);
        });
    }

    @Test
    void descriptorNobodyClaimsFailsBeforeTheFrameIsHandedOut() {
        ByteBuffer frame = ImsgEncoder.encode(Imsg.of(ImsgType.CHILD_READY, new ChildReady("vm", 1)));
        assertRejected("descriptor received with no message claiming it", (d, fd) -> withFd(d, frame, fd));
    }

    @Test
    void secondDescriptorInAChunkWithOneClaimingFrame() {
        Set<String> before = TestFds.openFds();
        int[] first = Fds.pipe(), second = Fds.pipe();
        ByteBuffer chunk = ByteBuffer.allocate(200);
        chunk.put(ImsgEncoder.encode(Imsg.of(ImsgType.RESET)));
        chunk.put(TestFds.rawFrame(ImsgType.CHILD_FD.code(), 1, new ChildFd("a").toBytes()));
        ImsgDecoder d = new ImsgDecoder();
        d.feed(chunk.flip(), first[1], second[1]);
        assertEquals(ImsgType.RESET, d.next().type()); // the CHILD_FD after it might still claim one
        assertEquals("descriptor received with no message claiming it",
                assertThrows(ImsgProtocolException.class, d::next).getMessage());
        d.closeQueuedFds();
        assertTrue(TestFds.writersClosed(first[0]), "the CHILD_FD's descriptor was not handed out, so it is closed");
        assertTrue(TestFds.writersClosed(second[0]));
        Fds.close(first[0]);
        Fds.close(second[0]);
        TestFds.assertNoNewFds(before);
    }

    @Test
    void descriptorWithNoBytes() {
        assertRejected("descriptor received with no message claiming it",
                (d, fd) -> withFd(d, ByteBuffer.allocate(0), fd));
    }

    @Test
    void laterChunksAfterAFailureAreDroppedButTheirDescriptorsClosed() {
        int[] pipe = Fds.pipe();
        ImsgDecoder d = new ImsgDecoder();
        d.feed(TestFds.rawFrame(ImsgType.RESET.code(), 3, 0, NO_BODY));
        assertThrows(ImsgProtocolException.class, d::next);
        d.feed(ImsgEncoder.encode(Imsg.of(ImsgType.RESET)), pipe[1]);
        assertThrows(ImsgProtocolException.class, d::next);
        d.closeQueuedFds();
        assertTrue(TestFds.writersClosed(pipe[0]));
        Fds.close(pipe[0]);
    }
}

package vmd.imsg;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided (Jazzer) imsg parsing, what another process sends us. The contract: a
 * frame stream fed in any chunks with any descriptors yields messages that re-encode to
 * exactly their bytes, each claiming the oldest descriptor, or an ImsgProtocolException
 * that then sticks; a payload decodes to a value that re-encodes to the same bytes, or
 * fails as an ImsgProtocolException. Any other exception is a finding.
 */
class ImsgFuzzTest {
    /** Descriptor numbers no process can have open: the decoder may close them (EBADF). */
    private static final int FAKE_FD = 2_000_000_000;

    /** One payload codec: its name in failures and its decoder. */
    private record Codec(String name, PayloadDecoder<? extends ImsgPayload> decoder) {}

    private static final List<Codec> CODECS = List.of(
            new Codec("ChildFd", ChildFd::decode),
            new Codec("ChildReady", ChildReady::decode),
            new Codec("ControlParams", ControlParams::decode),
            new Codec("CtlCommand", CtlCommand::decode),
            new Codec("CtlResult", CtlResult::decode),
            new Codec("DeviceFailed", DeviceFailed::decode),
            new Codec("LogLevel", LogLevel::decode),
            new Codec("Reason", Reason::decode),
            new Codec("Shutdown", Shutdown::decode),
            new Codec("StartVm", StartVm::decode),
            new Codec("VioblkParams", VioblkParams::decode),
            new Codec("VionetParams", VionetParams::decode),
            new Codec("VmInfo", VmInfo::decode),
            new Codec("VmOp", VmOp::decode),
            new Codec("VmOpResult", VmOpResult::decode),
            new Codec("VmParams", VmParams::decode),
            new Codec("VmTerminated", VmTerminated::decode));

    /**
     * The input: a control length {@code c} (first byte), {@code c} control bytes, then the
     * stream. Control byte {@code k} cuts chunk {@code k} from the stream: bits 0-5 its
     * length - 1, bits 6-7 how many descriptors arrive with it; the rest of the stream is
     * the last chunk. The decoder is drained after every chunk.
     */
    @FuzzTest
    void frames(byte[] data) {
        int controls = data.length == 0 ? 0 : Math.min(data[0] & 0xff, data.length - 1);
        int at = 1 + controls;
        ImsgDecoder d = new ImsgDecoder();
        ArrayDeque<Integer> fedFds = new ArrayDeque<>();
        int nextFd = FAKE_FD, decodedUpTo = at;
        ImsgProtocolException failure = null;
        for (int k = 0; k <= controls && at <= data.length; k++) {
            int control = k < controls ? data[1 + k] & 0xff : 0;
            int len = k < controls ? Math.min((control & 0x3f) + 1, data.length - at) : data.length - at;
            int[] fds = new int[control >> 6];
            for (int i = 0; i < fds.length; i++) fedFds.add(fds[i] = nextFd++);
            ByteBuffer chunk = ByteBuffer.wrap(data, at, len);
            d.feed(chunk, fds);
            assertFalse(chunk.hasRemaining(), "feed consumes the chunk");
            at += len;
            if (failure != null) {
                assertSame(failure, assertThrows(ImsgProtocolException.class, d::next), "a failed decoder stays failed");
                continue;
            }
            try {
                for (Imsg m; (m = d.next()) != null; ) {
                    byte[] encoded = encode(m);
                    assertArrayEquals(Arrays.copyOfRange(data, decodedUpTo, decodedUpTo + encoded.length), encoded,
                            "a decoded frame re-encodes to its bytes: " + m);
                    decodedUpTo += encoded.length;
                    if (m.hasFd()) assertEquals(fedFds.poll(), m.fd(), "a frame claims the oldest descriptor");
                }
            } catch (ImsgProtocolException e) {
                failure = e;
            }
            assertEquals(at - decodedUpTo, d.pendingBytes(), "pending bytes are the undecoded tail");
        }
        d.closeQueuedFds();
        assertEquals(0, d.queuedFds());
    }

    /** The frame as the sender wrote it (the encoder checks the descriptor against the type, as the decoder did). */
    private static byte[] encode(Imsg m) {
        ByteBuffer f = ImsgEncoder.encode(m);
        byte[] out = new byte[f.remaining()];
        f.get(out);
        return out;
    }

    /**
     * The first byte picks a payload codec, the rest is the payload. A decoded value must
     * re-encode to the same bytes (DeviceFailed shortens a long reason: then it must
     * survive a second round trip unchanged).
     */
    @FuzzTest
    void payloads(byte[] data) {
        if (data.length == 0) return;
        Codec codec = CODECS.get((data[0] & 0xff) % CODECS.size());
        byte[] payload = Arrays.copyOfRange(data, 1, Math.min(data.length, 1 + ImsgHeader.MAX_PAYLOAD));
        Imsg m = Imsg.of(ImsgType.CHILD_CONFIG, payload);
        ImsgPayload v;
        try {
            v = m.decode(codec.decoder());
        } catch (ImsgProtocolException e) {
            return;
        }
        byte[] again = v.toBytes();
        if (!(v instanceof DeviceFailed)) assertArrayEquals(payload, again, codec.name() + " re-encodes to its bytes: " + v);
        assertEquals(v, Imsg.of(ImsgType.CHILD_CONFIG, again).decode(codec.decoder()), codec.name() + " round trip");
    }

    /** The metrics samples a child answers STATS_REQUEST with: bounded, and canonical when they decode. */
    @FuzzTest
    void statsSamples(byte[] data) {
        byte[] payload = Arrays.copyOf(data, Math.min(data.length, ImsgHeader.MAX_PAYLOAD));
        StatsSamples v;
        try {
            v = Imsg.of(ImsgType.STATS_RESPONSE, payload).decode(StatsSamples::decode);
        } catch (ImsgProtocolException e) {
            return;
        }
        byte[] again = v.toBytes();
        assertArrayEquals(payload, again, "StatsSamples re-encodes to its bytes: " + v);
        assertEquals(v, Imsg.of(ImsgType.STATS_RESPONSE, again).decode(StatsSamples::decode), "StatsSamples round trip");
    }
}

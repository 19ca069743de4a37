package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.UnixSockets;
import vmd.testing.ErrorLogCapture;
import vmd.virtio.VirtioFeatures;

/**
 * Coverage-guided (Jazzer) sessions of a hostile front-end against VhostUserBackend over a
 * socketpair, served on the fuzzing thread. The contract (VhostUserBackend's class
 * comment): serve never throws and never logs an unexpected exception; the replies are,
 * in order, a prefix of those the requests ask for (the back-end may close the
 * connection), each well-formed and answering its own request.
 *
 * <p>Guest memory is never mapped here (sealed mappings outlive the connection, a million
 * would exhaust the process's map count): SET_MEM_TABLE carries an unsealed memfd or an
 * eventfd and is refused, so rings never start; VhostUserBackendTest covers those.
 */
class VhostUserBackendFuzzTest {
    /** Sessions stop here: every message and reply then fits in the sockets' buffers. */
    private static final int MAX_MESSAGES = 64, MAX_BYTES = 8192;
    /** Harness bits in a message's flags, cleared before sending: bits 16-19 count descriptors, bit 20 picks a file. */
    private static final int FDS_SHIFT = 16, FD_FILE = 1 << 20, HARNESS_FLAGS = 0x1f << FDS_SHIFT;
    private static final int SHUT_WR = 1;

    private static final QuietDevice DEVICE = new QuietDevice();
    private static final VhostUserBackend BACKEND = new VhostUserBackend(DEVICE, "fuzz");
    private static final int EVENTFD = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private static final int FILE = unsealedMemfd(1 << 20);
    private static ErrorLogCapture errors;

    /** One message as sent: its header fields, payload and how many bytes went out. */
    private record Sent(int request, int flags, int size, byte[] payload, int bytes, int fds) {
        boolean wellFormed() {
            return (flags & VhostUserMessage.VERSION_MASK) == VhostUserMessage.VERSION && size >= 0
                    && size <= VhostUserCodec.MAX_PAYLOAD && bytes == VhostUserCodec.HEADER_SIZE + size
                    && fds <= VhostUserCodec.MAX_FDS;
        }

        /** Whether the back-end must answer: requests that always reply, and NEED_REPLY acks. */
        boolean wantsReply() {
            VhostUserRequest t = VhostUserRequest.of(request);
            return (t != null && t.alwaysReplies()) || (flags & VhostUserMessage.FLAG_NEED_REPLY) != 0;
        }
    }

    @BeforeAll
    static void quiet() {
        errors = new ErrorLogCapture("vmd.vhostuser");
    }

    @AfterAll
    static void restore() {
        errors.close();
    }

    /**
     * The input is the byte stream the front-end sends, cut into messages by their size
     * fields (a size that lies takes the rest); the harness flag bits of each header say
     * which descriptors travel with it.
     */
    @FuzzTest
    void session(byte[] data) {
        int[] pair = UnixSockets.streamPair();
        VhostUserConnection frontEnd = new VhostUserConnection(pair[0]);
        try {
            List<Sent> sent = send(pair[0], Arrays.copyOf(data, Math.min(data.length, MAX_BYTES)));
            Native.libc().shutdown(pair[0], SHUT_WR);
            BACKEND.serve(pair[1]);
            errors.check();
            List<VhostUserMessage> replies = new ArrayList<>();
            try {
                for (VhostUserMessage m; (m = frontEnd.receive()) != null; ) replies.add(m);
            } catch (VhostUserClosedException e) {
                // ECONNRESET after the last reply: the back-end closed with requests unread
            } catch (VhostUserException e) {
                throw new AssertionError("the back-end's replies do not parse", e);
            }
            checkReplies(sent, replies);
        } finally {
            frontEnd.close();
        }
    }

    /**
     * Sends the messages, as few sendmsg calls as possible: one per message that carries
     * descriptors (attached to its first byte), the fd-less messages after it with it.
     */
    private static List<Sent> send(int sock, byte[] data) {
        List<Sent> sent = new ArrayList<>();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        int[] pendingFds = new int[0];
        int at = 0;
        while (at < data.length && sent.size() < MAX_MESSAGES) {
            int left = data.length - at;
            if (left < VhostUserCodec.HEADER_SIZE) {
                pending.write(data, at, left);
                sent.add(new Sent(0, 0, 0, new byte[0], left, 0));
                break;
            }
            ByteBuffer h = ByteBuffer.wrap(data, at, VhostUserCodec.HEADER_SIZE).slice().order(ByteOrder.nativeOrder());
            int request = h.getInt(0), raw = h.getInt(4), size = h.getInt(8);
            int flags = raw & ~HARNESS_FLAGS;
            int n = VhostUserCodec.HEADER_SIZE + (size >= 0 && size <= left - VhostUserCodec.HEADER_SIZE ? size : left - VhostUserCodec.HEADER_SIZE);
            int[] fds = new int[(raw >>> FDS_SHIFT) & 0xf];
            Arrays.fill(fds, (raw & FD_FILE) != 0 ? FILE : EVENTFD);
            if (fds.length > 0) {
                flush(sock, pending, pendingFds);
                pendingFds = fds;
            }
            pending.write(ByteBuffer.allocate(VhostUserCodec.HEADER_SIZE).order(ByteOrder.nativeOrder())
                    .putInt(request).putInt(flags).putInt(size).array(), 0, VhostUserCodec.HEADER_SIZE);
            pending.write(data, at + VhostUserCodec.HEADER_SIZE, n - VhostUserCodec.HEADER_SIZE);
            sent.add(new Sent(request, flags, size, Arrays.copyOfRange(data, at + VhostUserCodec.HEADER_SIZE, at + n), n, fds.length));
            at += n;
        }
        flush(sock, pending, pendingFds);
        return sent;
    }

    private static void flush(int sock, ByteArrayOutputStream pending, int[] fds) {
        if (pending.size() > 0) UnixSockets.sendFully(sock, ByteBuffer.wrap(pending.toByteArray()), fds);
        pending.reset();
    }

    private static void checkReplies(List<Sent> sent, List<VhostUserMessage> replies) {
        List<Sent> asked = new ArrayList<>();
        for (Sent s : sent) {
            if (!s.wellFormed()) break; // a framing error closes the connection
            if (s.wantsReply()) asked.add(s);
        }
        assertTrue(replies.size() <= asked.size(), () -> replies.size() + " replies to " + asked.size() + " requests that want one");
        for (int i = 0; i < replies.size(); i++) checkReply(asked.get(i), replies.get(i));
    }

    private static void checkReply(Sent s, VhostUserMessage r) {
        String what = r + " answering " + VhostUserRequest.describe(s.request());
        assertEquals(s.request(), r.request(), what);
        assertEquals(VhostUserMessage.VERSION | VhostUserMessage.FLAG_REPLY, r.flags(), what);
        assertEquals(0, r.fdCount(), what);
        VhostUserRequest t = VhostUserRequest.of(s.request());
        if (t == null || !t.alwaysReplies()) {
            long ack = r.u64();
            assertTrue(ack == 0 || ack == 1, what);
            return;
        }
        switch (t) {
            case GET_FEATURES -> assertEquals(BACKEND.offeredFeatures(), r.u64(), what);
            case GET_PROTOCOL_FEATURES -> assertEquals(VhostUserBackend.PROTOCOL_FEATURES, r.u64(), what);
            case GET_QUEUE_NUM -> assertEquals(DEVICE.queueNum(), r.u64(), what);
            case GET_VRING_BASE -> {
                VringState st = VringState.decode(r);
                assertEquals(VringState.decode(VhostUserMessage.request(t, s.payload())).index(), st.index(), what);
                assertEquals(0, st.num() & ~0xffff, what);
            }
            case GET_CONFIG -> {
                if (r.size() == 0) return; // refused
                ConfigSpace asked = ConfigSpace.decode(VhostUserMessage.request(t, s.payload()));
                ConfigSpace got = ConfigSpace.decode(r);
                assertEquals(asked.offset(), got.offset(), what);
                assertEquals(asked.size(), got.size(), what);
            }
            default -> fail("a reply to an unsupported request: " + what);
        }
    }

    private static int unsealedMemfd(long size) {
        int fd = Native.libc().memfd_create("vhost-user-fuzz", 0x1 /* MFD_CLOEXEC */);
        if (fd < 0 || Native.libc().ftruncate(fd, size) != 0) throw new IllegalStateException("memfd: errno " + Native.errno());
        return fd;
    }

    /** A device without threads: fixed config space, a feature rule to refuse, rings that never start. */
    private static final class QuietDevice implements VhostUserDevice {
        private static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1)
                | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX) | 0x5;

        @Override
        public long features() {
            return FEATURES;
        }

        @Override
        public int queueCount() {
            return 2;
        }

        @Override
        public int maxQueueSize() {
            return 256;
        }

        @Override
        public byte[] config() {
            return new byte[] {'F', 'U', 'Z', 'Z', 0, 0, 0, 0};
        }

        @Override
        public boolean writeConfig(int offset, byte[] data, boolean migration) {
            return offset >= 4 && offset + data.length <= 8;
        }

        @Override
        public void setFeatures(long features) {
            if ((features & 0x4) != 0 && (features & 0x1) == 0) throw new IllegalArgumentException("feature 2 needs feature 0");
        }

        @Override
        public void startQueue(Vring vring) {}

        @Override
        public void stopQueue(int index) {}
    }
}

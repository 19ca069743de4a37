package vmd.vm.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.testing.ErrorLogCapture;
import vmd.vhostuser.ProtocolFeatures;
import vmd.vhostuser.VhostUserCodec;
import vmd.vhostuser.VhostUserException;
import vmd.virtio.VirtioIds;
import vmd.vm.virtio.DeviceEvents;
import vmd.vm.virtio.QueueSetup;

/**
 * Coverage-guided (Jazzer) replies of a hostile back-end to VhostUserFrontendDevice: the
 * probe in its constructor, then the VirtioDevice calls and a reconnect. The replies are
 * written to the socket before the device asks (it reads them in order), and a run of
 * 0xff bytes after them makes any read past their end a protocol error instead of a wait.
 * The device runs without its watcher thread, so every run is reproducible. The contract
 * (the class comment): the constructor, startQueue and reconnect throw only
 * VhostUserException; the other calls never throw; a probed device has 1-256 queues and
 * the config size asked for. Any other exception is a finding.
 */
class VhostUserFrontendFuzzTest {
    /** Enough 0xff to complete the largest payload a header may announce and then fail a header. */
    private static final byte[] TRAILER = filled(VhostUserCodec.HEADER_SIZE + VhostUserCodec.MAX_PAYLOAD + VhostUserCodec.HEADER_SIZE);
    private static final int[] CONFIG_SIZES = {0, 8, 12, 60};
    private static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000;

    private static final GuestMemory MEMORY = GuestMemory.create("frontend-fuzz", List.of(new MemoryRegion(0, 1 << 20, 0)));
    private static final int KICK = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private static final int CALL = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private static final DeviceEvents EVENTS = new DeviceEvents() {
        @Override
        public void configChanged() {}

        @Override
        public void needsReset(String why) {}
    };
    private static ErrorLogCapture errors;

    /** Which calls follow the probe, in this order (bits of the input's second byte). */
    private static final int SET_FEATURES = 1, START_QUEUE = 2, WRITE_CONFIG = 4, RECONNECT = 8, STOP_QUEUE = 16, RESET = 32,
            LOSS_HANDLER = 64, READ_CONFIG = 128;

    @BeforeAll
    static void quiet() {
        errors = new ErrorLogCapture("vmd.vm.vhostuser");
    }

    @AfterAll
    static void restore() {
        errors.close();
    }

    /**
     * The input: an options byte (bits 0-1 the queue count asked for, 0 = the back-end's;
     * bit 2 net rather than block; bits 3-4 the config size), a calls byte (the bits
     * above), a u16 (little-endian) length of the first connection's replies, those
     * replies, then the second connection's (for the reconnect).
     */
    @FuzzTest
    void replies(byte[] data) {
        int options = at(data, 0), calls = at(data, 1), split = at(data, 2) | at(data, 3) << 8;
        int from = Math.min(4, data.length), mid = Math.min(data.length, from + split);
        var o = new VhostUserFrontendDevice.Options("fuzz", (options & 4) != 0 ? VirtioIds.NET : VirtioIds.BLOCK, options & 3, 256,
                CONFIG_SIZES[(options >> 3) & 3], 10_000);
        int[] first = backend(data, from, mid), second = {-1, -1};
        VhostUserFrontendDevice dev = null;
        try {
            try {
                dev = new VhostUserFrontendDevice(MEMORY, first[0], o, false);
            } catch (VhostUserException e) {
                return;
            }
            assertTrue(dev.queueCount() >= 1 && dev.queueCount() <= VhostUserFrontendDevice.MAX_QUEUES, "queue count " + dev.queueCount());
            if (o.queueCount() != 0) assertEquals(o.queueCount(), dev.queueCount());
            assertEquals(o.configSize(), dev.configSize());
            assertFalse(ProtocolFeatures.has(dev.deviceFeatures(), ProtocolFeatures.F_PROTOCOL_FEATURES));
            dev.attach(EVENTS);
            if ((calls & LOSS_HANDLER) != 0) dev.setLossHandler((d, why) -> {});
            calls(dev, calls, data, mid, second);
            errors.check();
        } finally {
            if (dev != null) dev.close();
            Fds.closeQuietly(first[1]);
            Fds.closeQuietly(second[1]);
        }
    }

    /** Makes the calls {@code calls} asks for; a reconnect leaves its socketpair in {@code second}. */
    private static void calls(VhostUserFrontendDevice dev, int calls, byte[] data, int mid, int[] second) {
        if ((calls & SET_FEATURES) != 0) dev.setDriverFeatures(dev.deviceFeatures());
        if ((calls & START_QUEUE) != 0) {
            try {
                dev.startQueue(new QueueSetup(0, 8, DESC, AVAIL, USED, KICK, CALL, dev.deviceFeatures(), 0));
            } catch (VhostUserException e) {
                // refused, or the back-end is gone
            }
        }
        if ((calls & WRITE_CONFIG) != 0) dev.writeConfig(4, new byte[] {7, 7});
        if ((calls & RECONNECT) != 0) {
            int queues = dev.queueCount();
            int[] p = backend(data, mid, data.length);
            second[1] = p[1];
            try {
                dev.reconnect(p[0]);
                assertEquals(queues, dev.queueCount());
            } catch (VhostUserException e) {
                // the new back-end failed the probe
            }
        }
        if ((calls & STOP_QUEUE) != 0) {
            int base = dev.stopQueue(0);
            assertTrue(base >= 0 && base <= 0xffff, "base " + base);
        }
        if ((calls & RESET) != 0) dev.reset();
        if ((calls & READ_CONFIG) != 0) dev.readConfig(0, new byte[dev.configSize()]);
    }

    /** A socketpair whose device end has data[from, to) and the trailer waiting: {device fd, our fd}. */
    private static int[] backend(byte[] data, int from, int to) {
        int[] p = UnixSockets.streamPair();
        byte[] replies = Arrays.copyOfRange(data, from, to + TRAILER.length);
        System.arraycopy(TRAILER, 0, replies, to - from, TRAILER.length);
        UnixSockets.sendFully(p[1], ByteBuffer.wrap(replies));
        return p;
    }

    private static int at(byte[] data, int i) {
        return i < data.length ? data[i] & 0xff : 0;
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 0xff);
        return b;
    }
}

package vmd.vm.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.testing.MemoryContract;
import vmd.vhostuser.EchoDevice;
import vmd.vhostuser.TestRing;
import vmd.vhostuser.VhostUserBackend;
import vmd.vhostuser.VhostUserClosedException;
import vmd.vhostuser.VhostUserException;
import vmd.vhostuser.VhostUserMessage;
import vmd.vhostuser.VhostUserRequest;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;
import vmd.vm.virtio.DeviceEvents;
import vmd.vm.virtio.QueueSetup;

/**
 * Our front-end against our back-end over a real socketpair, in one JVM. The test is the
 * guest driver (rings in a memfd GuestMemory) and the transport (it calls the VirtioDevice
 * methods and owns the kick and call eventfds).
 */
class VhostUserFrontendDeviceTest {
    static final long HIGH = 0x1_0000_0000L;
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, BUF = HIGH + 0x10000;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);

    GuestMemory mem;
    int kick, call;
    final List<String> resets = new CopyOnWriteArrayList<>();
    final List<String> configChanges = new CopyOnWriteArrayList<>();
    final List<Backend> backends = new ArrayList<>();
    VhostUserFrontendDevice dev;

    /** A back-end "process": a device and its serving thread, the other end of a socketpair. */
    static final class Backend {
        final EchoDevice device;
        final VhostUserBackend backend;
        final int frontendFd;
        final Thread thread;

        Backend(int queues, int maxQueueSize) {
            device = new EchoDevice(queues, maxQueueSize);
            backend = new VhostUserBackend(device, "echo");
            int[] p = UnixSockets.streamPair();
            frontendFd = p[0];
            thread = new Thread(() -> backend.serve(p[1]), "echo-backend");
            thread.setDaemon(true);
            thread.start();
        }

        /** Kills the connection as a dying process would: the front-end sees EOF/POLLHUP. */
        void kill() throws InterruptedException {
            backend.stop();
            thread.join(5000);
            assertFalse(thread.isAlive());
        }
    }

    Backend backend(int queues, int max) {
        Backend b = new Backend(queues, max);
        backends.add(b);
        return b;
    }

    @BeforeEach
    void setUp() {
        mem = GuestMemory.create("vm", List.of(new MemoryRegion(0, 1 << 20, 0), new MemoryRegion(HIGH, 1 << 20, 1 << 20)));
        kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (dev != null) dev.close();
        for (Backend b : backends) b.kill();
        Fds.closeQuietly(kick);
        Fds.closeQuietly(call);
    }

    VhostUserFrontendDevice frontend(Backend b, VhostUserFrontendDevice.Options o) {
        dev = new VhostUserFrontendDevice(mem, b.frontendFd, o);
        dev.attach(new DeviceEvents() {
            @Override
            public void configChanged() {
                configChanges.add("changed");
            }

            @Override
            public void needsReset(String why) {
                resets.add(why);
            }
        });
        return dev;
    }

    static VhostUserFrontendDevice.Options options(int maxQueueSize) {
        return new VhostUserFrontendDevice.Options("echo", VirtioIds.RNG, 0, maxQueueSize, 8, 2000);
    }

    QueueSetup setup(int size) {
        return new QueueSetup(0, size, DESC, AVAIL, USED, kick, call, FEATURES, 0);
    }

    TestRing ring() {
        return new TestRing(mem, 8, DESC, AVAIL, USED);
    }

    void send(TestRing r, int head, String text) {
        r.echoChain(head, BUF + 0x1000L * head, text.getBytes(), 64);
        r.publish(head);
        Fds.eventfdSignal(kick);
    }

    String echoed(int head, int len) {
        return new String(mem.read(BUF + 0x1000L * head + 0x800, len));
    }

    @Test
    void probeConfigAndDataPath() {
        Backend b = backend(2, 8);
        frontend(b, options(8));
        assertEquals(2, dev.queueCount(), "from GET_QUEUE_NUM");
        assertEquals(EchoDevice.FEATURES, dev.deviceFeatures(), "GET_FEATURES without the protocol bit");
        assertEquals(VhostUserFrontendDevice.PROTOCOL_FEATURES, dev.protocolFeatures());
        assertEquals(8, dev.configSize());
        byte[] cfg = new byte[4];
        dev.readConfig(0, cfg);
        assertArrayEquals("ECHO".getBytes(), cfg, "config space comes from the back-end");
        dev.writeConfig(4, new byte[] {7, 7});
        assertArrayEquals(new byte[] {'E', 'C', 'H', 'O', 7, 7, 0, 0}, b.device.config());
        dev.writeConfig(0, new byte[] {'X'}); // refused by the device: the cache is re-read
        dev.readConfig(0, cfg);
        assertArrayEquals("ECHO".getBytes(), cfg);

        dev.setDriverFeatures(FEATURES);
        assertEquals(FEATURES, b.device.ackedFeatures);
        dev.startQueue(setup(8));
        assertEquals(1, b.device.startedRings.size());

        // the back-end maps both regions of the memfd under the sealed-mapping contract
        GuestMemory seen = b.device.startedRings.get(0).memory();
        assertEquals(2, seen.regions().size());
        for (var r : seen.regions()) MemoryContract.assertSealedGuestMapping(ProcessHandle.current().pid(), r.hostAddress());

        TestRing r = ring();
        send(r, 0, "hellobackend");
        assertTrue(TestRing.waitFor(call, 5000), "interrupt through the call eventfd");
        assertEquals(1, r.usedIdx());
        assertEquals(12, r.usedLen(0));
        assertEquals("HELLOBACKEND", echoed(0, 12));

        assertEquals(1, dev.stopQueue(0), "GET_VRING_BASE");
        assertTrue(b.device.events.contains("stop 0"));
        dev.reset();
        assertTrue(TestRing.eventually(2000, () -> b.device.events.contains("reset")), "RESET_DEVICE");
        assertTrue(resets.isEmpty(), resets.toString());
    }

    @Test
    void reconnectReplaysTheSetupAndTheRingContinues() throws InterruptedException {
        Backend first = backend(2, 8);
        frontend(first, options(8));
        List<String> losses = new CopyOnWriteArrayList<>();
        dev.setLossHandler((d, why) -> losses.add(why));
        dev.setDriverFeatures(FEATURES);
        dev.startQueue(setup(8));
        TestRing r = ring();
        send(r, 0, "one");
        assertTrue(TestRing.waitFor(call, 5000));
        assertEquals(1, r.usedIdx());

        // a request in flight when the back-end dies: popped, never completed
        first.device.hold = true;
        send(r, 2, "two");
        assertTrue(TestRing.eventually(5000, () -> first.device.startedRings.get(0).queue().nextAvail() == 2));
        first.kill();
        assertTrue(TestRing.eventually(5000, () -> !losses.isEmpty()), "loss reported");
        assertEquals(1, losses.size());
        assertFalse(dev.connected());

        // the guest carries on meanwhile
        send(r, 4, "three");
        assertEquals(1, r.usedIdx());

        Backend second = backend(2, 8);
        dev.reconnect(second.frontendFd);
        assertTrue(dev.connected());
        assertTrue(TestRing.eventually(5000, () -> r.usedIdx() == 3), "used idx " + r.usedIdx());
        assertEquals(2, r.usedId(1));
        assertEquals(4, r.usedId(2));
        assertEquals("TWO", echoed(2, 3));
        assertEquals("THREE", echoed(4, 5));
        assertEquals(FEATURES, second.device.ackedFeatures, "features replayed");
        assertEquals(3, dev.stopQueue(0), "GET_VRING_BASE from the new back-end");
        assertTrue(resets.isEmpty(), "no DEVICE_NEEDS_RESET: " + resets);

        // and it survives a second crash as well
        dev.startQueue(new QueueSetup(0, 8, DESC, AVAIL, USED, kick, call, FEATURES, 3));
        second.kill();
        assertTrue(TestRing.eventually(5000, () -> losses.size() == 2));
        Backend third = backend(2, 8);
        dev.reconnect(third.frontendFd);
        Fds.eventfdDrain(call);
        send(r, 6, "four");
        assertTrue(TestRing.waitFor(call, 5000));
        assertEquals(4, r.usedIdx());
        assertEquals("FOUR", echoed(6, 4));
    }

    /** A driver that resets and sets the device up while the back-end is away: the next back-end gets it all. */
    @Test
    void setupDoneWhileDisconnectedIsReplayedOnReconnect() throws InterruptedException {
        Backend first = backend(2, 8);
        frontend(first, options(8));
        List<String> losses = new CopyOnWriteArrayList<>();
        dev.setLossHandler((d, why) -> losses.add(why));
        first.kill();
        assertTrue(TestRing.eventually(5000, () -> !losses.isEmpty()), "loss reported");
        dev.reset();
        dev.setDriverFeatures(FEATURES);
        dev.startQueue(setup(8));
        TestRing r = ring();
        send(r, 0, "early");
        Backend second = backend(2, 8);
        dev.reconnect(second.frontendFd);
        assertEquals(FEATURES, second.device.ackedFeatures, "features replayed");
        assertTrue(TestRing.eventually(5000, () -> r.usedIdx() == 1), "the request made while disconnected completes");
        assertEquals("EARLY", echoed(0, 5));
        assertTrue(resets.isEmpty(), resets.toString());
    }

    @Test
    void deadBackendMeansNeedsResetAndNoExceptionsWhereTheTransportCannotTakeThem() throws InterruptedException {
        Backend b = backend(2, 8);
        frontend(b, options(8));
        dev.setDriverFeatures(FEATURES);
        dev.startQueue(setup(8));
        TestRing r = ring();
        send(r, 0, "x");
        assertTrue(TestRing.waitFor(call, 5000));
        b.kill();
        assertTrue(TestRing.eventually(5000, () -> !resets.isEmpty()));
        assertEquals(List.of("vhost-user backend went away"), resets);

        assertEquals(1, dev.stopQueue(0), "the used index from guest memory");
        dev.reset();
        dev.setDriverFeatures(FEATURES);
        dev.writeConfig(4, new byte[] {1});
        byte[] cfg = new byte[8];
        dev.readConfig(0, cfg);
        assertEquals('E', cfg[0]);
        VhostUserException e = assertThrows(VhostUserException.class, () -> dev.startQueue(setup(8)));
        assertEquals("vhost-user backend went away", e.getMessage());
        assertEquals(1, resets.size(), "reported once per connection");
    }

    @Test
    void refusalsAreExceptionsForTheTransport() {
        Backend b = backend(1, 8);
        frontend(b, options(64));
        dev.setDriverFeatures(FEATURES);
        VhostUserException e = assertThrows(VhostUserException.class, () -> dev.startQueue(setup(64)));
        assertEquals("echo: back-end refused SET_VRING_NUM (ack 1)", e.getMessage());
        VhostUserException outside = assertThrows(VhostUserException.class,
                () -> dev.startQueue(new QueueSetup(0, 8, 0x200000, AVAIL, USED, kick, call, FEATURES, 0)));
        assertTrue(outside.getMessage().startsWith("queue 0: ring outside guest RAM"), outside.getMessage());
        dev.startQueue(setup(8));
        assertTrue(dev.connected(), "refusals do not end the connection");
        TestRing r = ring();
        send(r, 0, "ok");
        assertTrue(TestRing.waitFor(call, 5000));
        assertTrue(resets.isEmpty());
    }

    @Test
    void aHostileRingReportedByTheBackendMeansNeedsReset() {
        Backend b = backend(1, 8);
        frontend(b, options(8));
        dev.setDriverFeatures(FEATURES);
        dev.startQueue(setup(8));
        mem.putShort(AVAIL + 4, (short) 99); // head index out of range
        mem.putShort(AVAIL + 2, (short) 1);
        Fds.eventfdSignal(kick);
        assertTrue(TestRing.eventually(5000, () -> !resets.isEmpty()));
        assertEquals(List.of("vhost-user backend reports an error on queue 0"), resets);
        assertTrue(dev.connected());
    }

    @Test
    void probeFailures() {
        Backend b = backend(2, 8);
        VhostUserException e = assertThrows(VhostUserException.class, () -> new VhostUserFrontendDevice(mem, b.frontendFd,
                new VhostUserFrontendDevice.Options("echo", VirtioIds.RNG, 4, 8, 8, 2000)));
        assertEquals("echo: back-end has 2 queue(s), 4 needed", e.getMessage());

        int[] p = UnixSockets.streamPair();
        Fds.close(p[1]);
        assertThrows(VhostUserClosedException.class, () -> new VhostUserFrontendDevice(mem, p[0], options(8)));

        int[] hung = UnixSockets.streamPair();
        VhostUserClosedException t = assertThrows(VhostUserClosedException.class, () -> new VhostUserFrontendDevice(mem, hung[0],
                new VhostUserFrontendDevice.Options("echo", VirtioIds.RNG, 0, 8, 8, 200)));
        assertEquals("no reply within the timeout", t.getMessage());
        Fds.close(hung[1]);
    }

    @Test
    void aBackendThatAnswersWithTheWrongReplyIsLost() throws Exception {
        Backend b = backend(1, 8);
        frontend(b, options(8));
        dev.setDriverFeatures(FEATURES);
        // a fake back-end in place of the real one: answers GET_VRING_BASE with something else
        int[] p = UnixSockets.streamPair();
        Thread fake = new Thread(() -> {
            vmd.vhostuser.VhostUserConnection c = new vmd.vhostuser.VhostUserConnection(p[1]);
            try {
                while (true) {
                    VhostUserMessage m = c.receive();
                    if (m == null) return;
                    m.closeFds();
                    VhostUserRequest t = m.type();
                    if (t == VhostUserRequest.GET_FEATURES) c.send(VhostUserMessage.replyU64(m.request(), EchoDevice.FEATURES));
                    else if (t == VhostUserRequest.GET_VRING_BASE) c.send(VhostUserMessage.replyU64(VhostUserRequest.GET_FEATURES.id(), 0));
                    else if (t != null && t.alwaysReplies()) c.send(VhostUserMessage.replyU64(m.request(), 0));
                }
            } catch (RuntimeException e) {
                // connection ended
            } finally {
                c.close();
            }
        });
        fake.setDaemon(true);
        fake.start();
        List<String> losses = new CopyOnWriteArrayList<>();
        dev.setLossHandler((d, why) -> losses.add(why));
        dev.reconnect(p[0]);
        dev.startQueue(setup(8));
        assertEquals(0, dev.stopQueue(0), "falls back to the used index");
        assertEquals(1, losses.size());
        assertTrue(losses.get(0).contains("expected the reply to GET_VRING_BASE"), losses.get(0));
        fake.join(5000);
    }
}

package vmd.vm.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.UnixSockets;
import vmd.vhostuser.VhostUserBackend;
import vmd.vhostuser.VhostUserDevice;
import vmd.vhostuser.Vring;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;
import vmd.vm.virtio.DeviceEvents;

/**
 * The vm process's side of a device restart, over real sockets and the real back-end: a
 * lost network back-end shows the link down with a config interrupt, the restarted one
 * brings it up again; a device the parent gives up on stays down (network) or needs
 * reset (anything else).
 */
class DeviceBackendsTest {
    /** A back-end that looks like virtio-net to the front-end: STATUS offered, link up. */
    static final class LinkDevice implements VhostUserDevice {
        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | 1L << DeviceBackends.NET_F_STATUS;
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
            return new byte[] {2, 0, 0, 0, 0, 1, DeviceBackends.NET_S_LINK_UP, 0, 1, 0, (byte) 0xdc, 5};
        }

        @Override
        public void startQueue(Vring vring) {}

        @Override
        public void stopQueue(int index) {}
    }

    GuestMemory mem;
    final List<VhostUserBackend> served = new CopyOnWriteArrayList<>();
    final List<String> configChanges = new CopyOnWriteArrayList<>();
    final List<String> resets = new CopyOnWriteArrayList<>();
    VhostUserFrontendDevice dev;

    @BeforeEach
    void setUp() {
        mem = GuestMemory.create("vm", List.of(new MemoryRegion(0, 1 << 20, 0)));
    }

    @AfterEach
    void tearDown() {
        if (dev != null) dev.close();
        served.forEach(VhostUserBackend::stop);
    }

    /** Serves a fresh back-end process stand-in; returns the front-end's socket. */
    int backend() {
        VhostUserBackend b = new VhostUserBackend(new LinkDevice(), "link");
        int[] p = UnixSockets.streamPair();
        Thread t = new Thread(() -> b.serve(p[1]), "link-backend");
        t.setDaemon(true);
        t.start();
        served.add(b);
        return p[0];
    }

    VhostUserFrontendDevice frontend(int type) {
        dev = new VhostUserFrontendDevice(mem, backend(), new VhostUserFrontendDevice.Options("nic", type, 0, 256, 12, 2000));
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

    int status() {
        byte[] b = new byte[2];
        dev.readConfig(DeviceBackends.NET_STATUS_OFFSET, b);
        return b[0] & 0xff;
    }

    static void await(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }

    @Test
    void aLostNetworkBackendIsALinkDownUntilTheRestartedOneConnects() throws InterruptedException {
        DeviceBackends backends = new DeviceBackends();
        backends.add("nic0", frontend(VirtioIds.NET));
        assertEquals(DeviceBackends.NET_S_LINK_UP, status());
        served.get(0).stop(); // the process dies
        await(() -> status() == 0, "link down after the back-end went away");
        assertEquals(List.of("changed"), configChanges, "one config interrupt");
        assertTrue(resets.isEmpty(), "no DEVICE_NEEDS_RESET while a restart may come");

        backends.reconnect("nic0", backend());
        assertTrue(dev.connected());
        assertEquals(DeviceBackends.NET_S_LINK_UP, status(), "the new back-end's config: link up");
        assertEquals(2, configChanges.size(), "and the driver is told");

        served.get(1).stop();
        await(() -> status() == 0, "down again");
        backends.failed("nic0", "vionet killed by signal 9; not restarted");
        assertEquals(0, status());
        assertTrue(resets.isEmpty(), "a network device just stays down");
    }

    @Test
    void aDiskTheParentGivesUpOnNeedsReset() throws InterruptedException {
        DeviceBackends backends = new DeviceBackends();
        backends.add("disk0", frontend(VirtioIds.BLOCK));
        served.get(0).stop();
        await(() -> !dev.connected(), "lost");
        assertTrue(resets.isEmpty());
        assertTrue(configChanges.isEmpty(), "no link to take down");
        backends.failed("disk0", "vioblk killed by signal 9; not restarted");
        assertEquals(1, resets.size());
        assertTrue(resets.get(0).contains("not restarted"), resets.get(0));
        // A driver that resets and sets it up again is refused (the transport makes that needs-reset), not left hanging.
        dev.reset();
        int kick = vmd.sys.Fds.eventfd(vmd.sys.Fds.EFD_CLOEXEC), call = vmd.sys.Fds.eventfd(vmd.sys.Fds.EFD_CLOEXEC);
        try {
            assertThrows(vmd.vhostuser.VhostUserException.class, () -> dev.startQueue(
                    new vmd.vm.virtio.QueueSetup(0, 8, 0x1000, 0x2000, 0x3000, kick, call, VirtioFeatures.bit(VirtioFeatures.VERSION_1), 0)));
        } finally {
            vmd.sys.Fds.close(kick);
            vmd.sys.Fds.close(call);
        }
    }

    @Test
    void unknownLabelsAndDuplicatesAreRefusedQuietly() {
        DeviceBackends backends = new DeviceBackends();
        backends.add("nic0", frontend(VirtioIds.NET));
        assertThrows(IllegalArgumentException.class, () -> backends.add("nic0", dev));
        int[] p = UnixSockets.streamPair();
        backends.reconnect("nic7", p[0]); // closes the descriptor, touches nothing
        assertEquals(-1, vmd.sys.Native.libc().fcntl(p[0], vmd.sys.Fds.F_GETFD, 0), "the stray socket was closed");
        vmd.sys.Fds.closeQuietly(p[1]);
        backends.failed("nic9", "whatever");
        assertTrue(dev.connected());
    }
}

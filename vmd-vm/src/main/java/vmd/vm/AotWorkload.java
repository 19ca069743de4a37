package vmd.vm;

import java.util.ArrayList;
import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.vhostuser.VhostUserBackend;
import vmd.vhostuser.VhostUserDevice;
import vmd.vhostuser.Vring;
import vmd.vm.vhostuser.VhostUserFrontendDevice;
import vmd.vm.virtio.DeviceEvents;
import vmd.vm.virtio.QueueSetup;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;

/**
 * The vm process's part of the AOT training ({@code vmd.proc.AotTraining}): a vhost-user
 * session as a device's start and restart have it. Our front-end against a back-end on a
 * socketpair, through the handshake, SET_MEM_TABLE, a ring start, a reconnect with the
 * setup replayed, and the close; the string concatenations, lambdas and message paths it
 * runs are linked in the cache instead of at each start.
 */
public final class AotWorkload {
    private AotWorkload() {}

    /** A block device's shape with no data behind it: the front-end only negotiates and starts a ring. */
    private static final class IdleDevice implements VhostUserDevice {
        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int maxQueueSize() {
            return 256;
        }

        @Override
        public byte[] config() {
            return new byte[60];
        }

        @Override
        public void startQueue(Vring vring) {}

        @Override
        public void stopQueue(int index) {}
    }

    public static void train() throws Exception {
        GuestMemory memory = GuestMemory.create("aot-session", List.of(new MemoryRegion(0, 4 << 20, 0)));
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK), call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        VhostUserFrontendDevice front = null;
        List<Thread> backends = new ArrayList<>();
        try {
            int[] first = UnixSockets.streamPair();
            backends.add(serve(first[1]));
            front = new VhostUserFrontendDevice(memory, first[0], new VhostUserFrontendDevice.Options("aot0", VirtioIds.BLOCK, 1, 256, 60));
            front.attach(new DeviceEvents() {
                @Override
                public void configChanged() {}

                @Override
                public void needsReset(String why) {}
            });
            front.readConfig(0, new byte[8]);
            long features = front.deviceFeatures();
            front.setDriverFeatures(features);
            front.startQueue(new QueueSetup(0, 256, 0x10000, 0x20000, 0x30000, kick, call, features, 0));
            int[] second = UnixSockets.streamPair();
            backends.add(serve(second[1]));
            front.reconnect(second[0]);
            front.stopQueue(0);
        } finally {
            if (front != null) front.close();
            for (Thread t : backends) t.join(10_000);
            Fds.close(kick);
            Fds.close(call);
            Fds.close(memory.fd());
        }
    }

    private static Thread serve(int socket) {
        Thread t = new Thread(() -> {
            try {
                new VhostUserBackend(new IdleDevice(), "aot0").serve(socket);
            } catch (Exception e) {
                // the front-end went away: the session is over
            }
        }, "aot-backend");
        t.start();
        return t;
    }
}

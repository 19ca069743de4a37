package vmd.vioblk;

import java.nio.file.Path;
import java.util.List;
import vmd.disk.Disk;
import vmd.disk.Qcow2Chain;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.proc.AotTraining;
import vmd.sys.Fds;
import vmd.vhostuser.EventNotifier;
import vmd.vhostuser.Vring;
import vmd.virtio.DriverRing;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;

/**
 * The vioblk process's part of the AOT training ({@code vmd.proc.AotTraining}): a raw and
 * a qcow2 image (made by the coordinator, {@link AotTraining#IMAGES}) served as a block
 * device, through the vhost-user handshake and then a guest's first requests on a started
 * ring, served by the ring's own threads: a small and a large write, a small and a large
 * read, a flush and the serial.
 */
public final class AotWorkload {
    private AotWorkload() {}

    public static void train() throws Exception {
        AotTraining.loadClasses(List.of("vmd.vioblk.VioblkMain", "vmd.vioblk.ImageHandover$Reopener")); // the process's start, which training cannot run
        Path dir = Path.of(System.getProperty(AotTraining.IMAGES_PROPERTY));
        for (String name : AotTraining.IMAGES) {
            Disk disk = Qcow2Chain.open(dir.resolve(name), false);
            BlockDevice device = new BlockDevice("aot0", disk, 1, "aot");
            try {
                AotTraining.serveHandshake(device, "aot0");
                firstRequests(device);
            } finally {
                device.close();
            }
        }
    }

    // A 16-entry ring and its buffers in 1 MiB of guest memory.
    private static final int QSIZE = 16;
    private static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, HEADER = 0x4000, STATUS = 0x5000, DATA = 0x10000;
    private static final int LARGE = (int) RequestQueue.LARGE_BYTES;

    private static void firstRequests(BlockDevice device) throws Exception {
        GuestMemory memory = GuestMemory.create("aot-ring", List.of(new MemoryRegion(0, 1 << 20, 0)));
        DriverRing ring = new DriverRing(memory, QSIZE, DESC, AVAIL, USED);
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        EventNotifier call = new EventNotifier();
        call.set(Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK));
        long features = device.features() | (1L << VirtioFeatures.VERSION_1);
        try {
            device.startQueue(new Vring(0, new VirtQueue(memory, QSIZE, DESC, AVAIL, USED, features), kick, memory,
                    features, call, new EventNotifier()));
            for (int[] request : new int[][] {{BlkRequest.T_OUT, 4096}, {BlkRequest.T_OUT, LARGE}, {BlkRequest.T_IN, 4096},
                    {BlkRequest.T_IN, LARGE}, {BlkRequest.T_FLUSH, 0}, {BlkRequest.T_GET_ID, 20}}) {
                serve(ring, kick, request[0], request[1]);
            }
            device.stopQueue(0);
        } finally {
            call.clear();
            Fds.close(kick);
            Fds.close(memory.fd());
        }
    }

    /** Puts one header + data + status chain in the avail ring, kicks, and waits for it in the used ring. */
    private static void serve(DriverRing ring, int kick, int type, int length) throws Exception {
        GuestMemory memory = ring.mem;
        memory.putInt(HEADER, type);
        memory.putInt(HEADER + 4, 0);
        memory.putLong(HEADER + 8, 16); // sector
        memory.putByte(STATUS, (byte) 0x7f);
        boolean deviceWrites = type == BlkRequest.T_IN || type == BlkRequest.T_GET_ID;
        int d = 0;
        ring.desc(d++, HEADER, 16, VirtQueue.DESC_F_NEXT, d);
        if (length > 0) ring.desc(d++, DATA, length, VirtQueue.DESC_F_NEXT | (deviceWrites ? VirtQueue.DESC_F_WRITE : 0), d);
        ring.desc(d, STATUS, 1, VirtQueue.DESC_F_WRITE, 0);
        int expected = (ring.availIdx + 1) & 0xffff;
        ring.publish(0);
        Fds.eventfdSignal(kick);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ring.usedIdx() != expected) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("request type " + type + " not served in 10 s");
            Thread.sleep(1);
        }
        if (memory.getByte(STATUS) != BlkRequest.S_OK) throw new IllegalStateException("request type " + type + ": status " + memory.getByte(STATUS));
    }
}

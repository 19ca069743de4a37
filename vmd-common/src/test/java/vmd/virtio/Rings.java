package vmd.virtio;

import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;

/** Test helper acting as the driver: writes descriptors and ring entries into guest RAM. */
final class Rings extends DriverRing {
    static final long RAM = 1 << 20;

    Rings(GuestMemory mem, int size, long desc, long avail, long used) {
        super(mem, size, desc, avail, used);
    }

    static GuestMemory ram() {
        return GuestMemory.create("t", List.of(new MemoryRegion(0, RAM, 0)));
    }

    /** A standard layout: desc at 0x1000, avail at 0x9000, used at 0xa000 (size <= 256). */
    static Rings standard(GuestMemory mem, int size) {
        return new Rings(mem, size, 0x1000, 0x9000, 0xa000);
    }

    static void desc(GuestMemory mem, long table, int i, long addr, int len, int flags, int next) {
        long at = table + 16L * i;
        mem.putLong(at, addr);
        mem.putInt(at + 8, len);
        mem.putShort(at + 12, (short) flags);
        mem.putShort(at + 14, (short) next);
    }

    void setUsedEvent(int v) {
        mem.putShort(avail + 4 + 2L * size, (short) v);
    }

    int availEvent() {
        return mem.getShort(used + 4 + 8L * size) & 0xffff;
    }

    VirtQueue queue(long features) throws VirtQueueException {
        return new VirtQueue(mem, size, desc, avail, used, features);
    }
}

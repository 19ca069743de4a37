package vmd.virtio;

import vmd.memory.GuestMemory;

/**
 * The driver's side of a split ring in guest RAM, as a guest writes it: descriptors, the
 * avail ring and its index, and what the device left in the used ring. Used where vmd plays
 * the guest against its own devices: the AOT training's first requests and the tests.
 */
public class DriverRing {
    public final GuestMemory mem;
    public final int size;
    public final long desc, avail, used;
    /** The next avail index this driver publishes. */
    public int availIdx;

    public DriverRing(GuestMemory mem, int size, long desc, long avail, long used) {
        this.mem = mem;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
    }

    public void desc(int i, long addr, int len, int flags, int next) {
        long at = desc + 16L * i;
        mem.putLong(at, addr);
        mem.putInt(at + 8, len);
        mem.putShort(at + 12, (short) flags);
        mem.putShort(at + 14, (short) next);
    }

    /** Publishes {@code head} in the next avail slot and bumps avail.idx. */
    public void publish(int head) {
        mem.putShort(avail + 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        mem.putShort(avail + 2, (short) availIdx);
    }

    public int usedIdx() {
        return mem.getShort(used + 2) & 0xffff;
    }

    public int usedId(int slot) {
        return mem.getInt(used + 4 + 8L * (slot % size));
    }

    public int usedLen(int slot) {
        return mem.getInt(used + 8 + 8L * (slot % size));
    }
}

package vmd.virtio;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.GuestMemoryException;
import vmd.memory.MappedRegion;
import vmd.memory.MemoryRegion;

/**
 * The device side of a split virtqueue (virtio 1.2 section 2.7) over guest RAM.
 *
 * <p>Everything the driver wrote is hostile until checked: {@link #pop()} walks a chain
 * with hard bounds (at most queue-size descriptors in the table, at most the indirect
 * table's entries inside it), refuses indexes out of range, buffers outside guest RAM,
 * zero-length buffers, nested indirect tables, readable-after-writable buffers and
 * chains longer than 4 GiB, and reports each as a {@link VirtQueueException}; it never
 * touches host memory outside the guest mappings and always terminates.
 *
 * <p>Memory ordering follows the spec: an acquire fence after reading avail.idx before
 * reading the ring entries and descriptors it publishes; a release fence after writing
 * a used element before publishing used.idx; a full fence between publishing used.idx
 * and reading the driver's suppression state (used_event / flags), and between writing
 * avail_event and re-reading avail.idx.
 *
 * <p>One thread serves a queue; the object is not thread-safe.
 */
public final class VirtQueue {
    public static final int MAX_SIZE = 32768;

    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;
    /** avail.flags: the driver does not want interrupts (without EVENT_IDX). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** used.flags: the device does not want notifications (without EVENT_IDX). */
    public static final int USED_F_NO_NOTIFY = 1;

    public static final int DESC_SIZE = 16;
    /** Largest total length of one chain. */
    public static final long MAX_CHAIN_LENGTH = 1L << 32;
    private static final long SEGMENT_MAX = 1L << 30;

    private final GuestMemory memory;
    private final MemoryRegion[] regions;
    private final int size;
    private final long descAddress, availAddress, usedAddress;
    private final boolean eventIdx;
    private final boolean indirectAllowed;
    private final ByteBuffer desc, avail, used;

    private int nextAvail;
    private int nextUsed;
    private int signalledUsed;
    private boolean signalledUsedValid;

    /** A queue starting at avail index 0, with the features the driver acknowledged. */
    public VirtQueue(GuestMemory memory, int size, long descAddress, long availAddress, long usedAddress, long features)
            throws VirtQueueException {
        this(memory, size, descAddress, availAddress, usedAddress, features, 0);
    }

    /**
     * A queue resuming at {@code nextAvail} (vhost-user SET_VRING_BASE). The next used
     * index is read back from the used ring, as a resumed backend must.
     */
    public VirtQueue(GuestMemory memory, int size, long descAddress, long availAddress, long usedAddress, long features,
                     int nextAvail) throws VirtQueueException {
        if (size <= 0 || size > MAX_SIZE || (size & (size - 1)) != 0) {
            throw new VirtQueueException("queue size " + size + " is not a power of 2 in 1.." + MAX_SIZE);
        }
        if ((descAddress & 15) != 0 || (availAddress & 1) != 0 || (usedAddress & 3) != 0) {
            throw new VirtQueueException(String.format("misaligned ring: desc 0x%x avail 0x%x used 0x%x",
                    descAddress, availAddress, usedAddress));
        }
        this.memory = memory;
        this.regions = memory.regions().stream().map(MappedRegion::region).toArray(MemoryRegion[]::new);
        this.size = size;
        this.descAddress = descAddress;
        this.availAddress = availAddress;
        this.usedAddress = usedAddress;
        this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX);
        this.indirectAllowed = VirtioFeatures.has(features, VirtioFeatures.RING_INDIRECT_DESC);
        this.desc = ring("descriptor table", descAddress, (long) DESC_SIZE * size);
        this.avail = ring("available ring", availAddress, 6L + 2L * size);
        this.used = ring("used ring", usedAddress, 6L + 8L * size);
        this.nextAvail = nextAvail & 0xffff;
        this.nextUsed = used.getShort(2) & 0xffff;
        this.signalledUsed = nextUsed;
    }

    private ByteBuffer ring(String what, long gpa, long length) throws VirtQueueException {
        try {
            return memory.buffer(gpa, (int) length);
        } catch (GuestMemoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new VirtQueueException(String.format("%s at 0x%x+0x%x is not inside one guest RAM region", what, gpa, length));
        }
    }

    public int size() {
        return size;
    }

    public long descAddress() {
        return descAddress;
    }

    public long availAddress() {
        return availAddress;
    }

    public long usedAddress() {
        return usedAddress;
    }

    public boolean eventIdx() {
        return eventIdx;
    }

    /** The avail index of the next chain to pop (vhost-user GET_VRING_BASE). */
    public int nextAvail() {
        return nextAvail;
    }

    /** The used index the next used element will publish. */
    public int nextUsed() {
        return nextUsed;
    }

    /**
     * avail.idx, checked: it may run ahead of the chains we popped by at most the queue
     * size. Followed by an acquire fence, so ring entries read afterwards are as new.
     */
    public int availIndex() throws VirtQueueException {
        int idx = avail.getShort(2) & 0xffff;
        VarHandle.acquireFence();
        int pending = (idx - nextAvail) & 0xffff;
        if (pending > size) {
            throw new VirtQueueException("avail.idx " + idx + " moved " + pending + " entries past " + nextAvail
                    + ", more than the queue size " + size);
        }
        return idx;
    }

    public boolean hasAvailable() throws VirtQueueException {
        return availIndex() != nextAvail;
    }

    /** The next available chain, or null if the driver has published none. */
    public DescriptorChain pop() throws VirtQueueException {
        int idx = availIndex();
        if (idx == nextAvail) return null;
        int head = avail.getShort(4 + 2 * (nextAvail & (size - 1))) & 0xffff;
        nextAvail = (nextAvail + 1) & 0xffff;
        return walk(head);
    }

    private DescriptorChain walk(int head) throws VirtQueueException {
        if (head >= size) throw new VirtQueueException("head index " + head + " >= queue size " + size, head);
        ByteBuffer table = desc;
        int tableSize = size;
        boolean inIndirect = false;
        int index = head;
        int walkedInTable = 0;
        int total = 0;
        List<DescriptorChain.Segment> readable = new ArrayList<>(2);
        List<DescriptorChain.Segment> writable = new ArrayList<>(2);
        long readableLength = 0, writableLength = 0;
        while (true) {
            if (index >= tableSize) {
                throw new VirtQueueException("next index " + index + " out of range (table of " + tableSize + ")", head);
            }
            if (++walkedInTable > tableSize) {
                throw new VirtQueueException("descriptor chain loops or is longer than its table (" + tableSize + ")", head);
            }
            total++;
            int off = index * DESC_SIZE;
            long addr = table.getLong(off);
            long len = table.getInt(off + 8) & 0xffffffffL;
            int flags = table.getShort(off + 12) & 0xffff;
            int next = table.getShort(off + 14) & 0xffff;

            if ((flags & DESC_F_INDIRECT) != 0) {
                if (!indirectAllowed) throw new VirtQueueException("indirect descriptor without RING_INDIRECT_DESC", head);
                if (inIndirect) throw new VirtQueueException("nested indirect descriptor", head);
                if ((flags & DESC_F_NEXT) != 0) throw new VirtQueueException("indirect descriptor with NEXT set", head);
                if (len == 0 || len % DESC_SIZE != 0 || len / DESC_SIZE > MAX_SIZE) {
                    throw new VirtQueueException("indirect table length " + len + " is not a positive multiple of 16 up to "
                            + MAX_SIZE + " entries", head);
                }
                if (addr < 0 || !inOneRegion(addr, len)) {
                    throw new VirtQueueException(String.format("indirect table 0x%x+0x%x is outside guest RAM", addr, len), head);
                }
                table = memory.buffer(addr, (int) len);
                tableSize = (int) (len / DESC_SIZE);
                inIndirect = true;
                index = 0;
                walkedInTable = 0;
                continue;
            }
            if (len == 0) throw new VirtQueueException("zero-length buffer", head);
            boolean write = (flags & DESC_F_WRITE) != 0;
            if (!write && !writable.isEmpty()) {
                throw new VirtQueueException("device-readable buffer after a device-writable one", head);
            }
            if (readableLength + writableLength + len > MAX_CHAIN_LENGTH) {
                throw new VirtQueueException("descriptor chain longer than 4 GiB", head);
            }
            addSegments(write ? writable : readable, addr, len, head);
            if (write) writableLength += len; else readableLength += len;
            if ((flags & DESC_F_NEXT) == 0) break;
            index = next;
        }
        return new DescriptorChain(head, total, readable, writable, readableLength, writableLength);
    }

    private boolean inOneRegion(long gpa, long len) {
        for (MemoryRegion r : regions) if (r.contains(gpa, len)) return true;
        return false;
    }

    private void addSegments(List<DescriptorChain.Segment> out, long addr, long len, int head) throws VirtQueueException {
        if (addr < 0 || addr > Long.MAX_VALUE - len) {
            throw new VirtQueueException(String.format("buffer 0x%x+0x%x overflows the address space", addr, len), head);
        }
        long at = addr;
        long remaining = len;
        while (remaining > 0) {
            MemoryRegion r = regionAt(at);
            if (r == null) {
                throw new VirtQueueException(String.format("buffer 0x%x+0x%x is outside guest RAM", addr, len), head);
            }
            long n = Math.min(Math.min(remaining, r.end() - at), SEGMENT_MAX);
            ByteBuffer b;
            try {
                b = memory.buffer(at, (int) n);
            } catch (GuestMemoryException e) {
                throw new VirtQueueException(String.format("buffer 0x%x+0x%x is outside guest RAM", addr, len), head);
            }
            out.add(new DescriptorChain.Segment(at, b));
            at += n;
            remaining -= n;
        }
    }

    private MemoryRegion regionAt(long gpa) {
        for (MemoryRegion r : regions) if (r.contains(gpa, 1)) return r;
        return null;
    }

    private volatile DirtyLog dirtyLog = DirtyLog.NONE;

    /** While the VM migrates: every page this queue's device writes is marked here. */
    public void setDirtyLog(DirtyLog log) {
        dirtyLog = log == null ? DirtyLog.NONE : log;
    }

    /**
     * Returns a chain to the driver, {@code len} bytes written into its writable buffers.
     * With a dirty log, every writable buffer of the chain is marked whole: a device may
     * write more than it reports, and a page marked needlessly costs only a resend.
     */
    public void pushUsed(DescriptorChain chain, int len) {
        DirtyLog log = dirtyLog;
        if (log != DirtyLog.NONE) for (DescriptorChain.Segment s : chain.writableSegments()) log.mark(s.address(), s.length());
        pushUsed(chain.head(), len);
    }

    /** Publishes a used element (id, len): element first, release fence, then used.idx. */
    public void pushUsed(int head, int len) {
        if (head < 0 || head >= size) throw new IllegalArgumentException("used id " + head + " out of range");
        int slot = nextUsed & (size - 1);
        used.putInt(4 + 8 * slot, head);
        used.putInt(8 + 8 * slot, len);
        nextUsed = (nextUsed + 1) & 0xffff;
        VarHandle.releaseFence();
        used.putShort(2, (short) nextUsed);
        DirtyLog log = dirtyLog;
        if (log != DirtyLog.NONE) {
            log.mark(usedAddress + 4 + 8L * slot, 8);
            log.mark(usedAddress + 2, 2);
        }
    }

    /**
     * Whether the driver wants an interrupt for the used elements published since the
     * last time this returned true: used_event with EVENT_IDX, else avail.flags.
     */
    public boolean needsNotification() {
        VarHandle.fullFence();
        if (!eventIdx) {
            return (avail.getShort(0) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        int event = avail.getShort(4 + 2 * size) & 0xffff;
        int old = signalledUsed;
        boolean valid = signalledUsedValid;
        signalledUsed = nextUsed;
        signalledUsedValid = true;
        if (!valid) return true;
        return needEvent(event, nextUsed, old);
    }

    /** vring_need_event: has the index moved past {@code event} going from old to new? */
    public static boolean needEvent(int event, int newIdx, int oldIdx) {
        return ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
    }

    /**
     * Asks the driver to notify on its next available buffer (avail_event = next avail
     * index with EVENT_IDX, else clears USED_F_NO_NOTIFY), then re-reads avail.idx:
     * returns true if chains arrived meanwhile, which the caller must then serve.
     */
    public boolean enableNotification() {
        if (eventIdx) {
            used.putShort(4 + 8 * size, (short) nextAvail);
        } else {
            used.putShort(0, (short) (used.getShort(0) & ~USED_F_NO_NOTIFY));
        }
        VarHandle.fullFence();
        return (avail.getShort(2) & 0xffff) != nextAvail;
    }

    /** Tells the driver notifications are not needed while the device is busy (no-op with EVENT_IDX). */
    public void disableNotification() {
        if (!eventIdx) used.putShort(0, (short) (used.getShort(0) | USED_F_NO_NOTIFY));
    }

    @Override
    public String toString() {
        return "VirtQueue[size=" + size + " desc=0x" + Long.toHexString(descAddress) + " avail=0x" + Long.toHexString(availAddress)
                + " used=0x" + Long.toHexString(usedAddress) + " next_avail=" + nextAvail + " next_used=" + nextUsed + "]";
    }
}

package vmd.bench;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.lang.foreign.MemorySegment;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.PollSet;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;
import vmd.vm.vhostuser.VhostUserFrontendDevice;
import vmd.vm.virtio.DeviceEvents;
import vmd.vm.virtio.QueueSetup;

/**
 * The guest side of the benchmark: a virtio-blk driver on one split ring in guest RAM,
 * talking to a vhost-user back-end through our own front-end
 * ({@link VhostUserFrontendDevice}: SET_MEM_TABLE with the memfd, the ring addresses, the
 * kick and call eventfds). It plays what a guest kernel does: fills descriptors, publishes
 * avail entries, kicks (honouring the device's notification suppression) and sleeps on
 * the call eventfd (the "interrupt") until used entries appear.
 *
 * <p>Layout (guest-physical): descriptor table at 0, avail ring at 0x1000, used ring at
 * 0x2000, request headers at 0x4000 (16 bytes per slot), status bytes at 0x5000, then one
 * 1 MiB data buffer per slot from 1 MiB. Slot {@code s} always uses descriptors
 * {@code 3s, 3s+1, 3s+2}: header (read-only), data, status (write-only).
 */
final class BlkDriver implements AutoCloseable {
    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4;
    static final int RING_SIZE = 128;
    static final int MAX_SLOTS = 32;
    static final int SLOT_BYTES = 1 << 20;
    private static final long DESC = 0x0, AVAIL = 0x1000, USED = 0x2000, HDR = 0x4000, STATUS = 0x5000, DATA = 1 << 20;
    private static final long MEMORY = DATA + (long) MAX_SLOTS * SLOT_BYTES;
    private static final int REPLY_TIMEOUT_MS = 30_000;
    private static final int STALL_MS = 30_000;

    private final GuestMemory memory;
    private final ByteBuffer ring;
    private final int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private final int call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private final PollSet callSet = new PollSet();
    private final MemorySegment drain = Native.allocate(8);
    private final VhostUserFrontendDevice device;
    private final boolean eventIdx;
    private final long capacityBytes;
    private volatile String trouble;
    private int availIdx;
    private int published;
    private int lastUsed;
    /** Interrupts (call eventfd reads) and kicks (eventfd writes), for the report. */
    long interrupts, kicks;

    /** Connects to the back-end on {@code socketFd} and sets up queue 0. */
    BlkDriver(int socketFd, String name, boolean wantEventIdx) {
        memory = GuestMemory.create("bench-" + name, List.of(new MemoryRegion(0, MEMORY, 0)));
        ring = memory.buffer(0, (int) DATA);
        // Data buffers hold pseudo-random bytes, so writes are not all zeros (no back-end may
        // take a zero-detection shortcut).
        ByteBuffer data = memory.buffer(DATA, (int) (MEMORY - DATA));
        SplittableRandom r = new SplittableRandom(7);
        while (data.remaining() >= 8) data.putLong(r.nextLong());
        VhostUserFrontendDevice dev = null;
        try {
            dev = new VhostUserFrontendDevice(memory, socketFd,
                    new VhostUserFrontendDevice.Options(name, VirtioIds.BLOCK, 1, RING_SIZE, 60, REPLY_TIMEOUT_MS));
            dev.attach(new DeviceEvents() {
                @Override
                public void configChanged() {}

                @Override
                public void needsReset(String why) {
                    trouble = why;
                }
            });
            byte[] cfg = new byte[8];
            dev.readConfig(0, cfg);
            capacityBytes = ByteBuffer.wrap(cfg).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong() * 512;
            long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
            if (wantEventIdx) features |= VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
            features &= dev.deviceFeatures();
            if ((features & VirtioFeatures.bit(VirtioFeatures.VERSION_1)) == 0) {
                throw new IllegalStateException(name + ": back-end does not offer VIRTIO_F_VERSION_1");
            }
            eventIdx = (features & VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX)) != 0;
            dev.setDriverFeatures(features);
            dev.startQueue(new QueueSetup(0, RING_SIZE, DESC, AVAIL, USED, kick, call, features, 0));
            device = dev;
        } catch (RuntimeException e) {
            if (dev != null) dev.close();
            Fds.closeQuietly(kick);
            Fds.closeQuietly(call);
            throw e;
        }
        callSet.set(call);
    }

    long capacityBytes() {
        return capacityBytes;
    }

    boolean eventIdx() {
        return eventIdx;
    }

    /** Fills the first {@code length} bytes of {@code slot}'s data buffer with pseudo-random bytes from {@code seed}. */
    void fill(int slot, long seed, int length) {
        ByteBuffer data = memory.buffer(DATA + (long) slot * SLOT_BYTES, length);
        SplittableRandom r = new SplittableRandom(seed);
        while (data.remaining() >= 8) data.putLong(r.nextLong());
    }

    /** Queues (without publishing) request {@code type} for {@code length} bytes at {@code offset} on {@code slot}. */
    void queue(int slot, int type, long offset, int length) {
        long hdr = HDR + 16L * slot;
        long status = STATUS + slot;
        ring.putInt((int) hdr, type);
        ring.putInt((int) hdr + 4, 0);
        ring.putLong((int) hdr + 8, offset >>> 9);
        ring.put((int) status, (byte) 0xff);
        int head = 3 * slot;
        if (type == T_FLUSH) {
            desc(head, hdr, 16, VirtQueue.DESC_F_NEXT, head + 1);
            desc(head + 1, status, 1, VirtQueue.DESC_F_WRITE, 0);
        } else {
            desc(head, hdr, 16, VirtQueue.DESC_F_NEXT, head + 1);
            desc(head + 1, DATA + (long) slot * SLOT_BYTES, length,
                    VirtQueue.DESC_F_NEXT | (type == T_IN ? VirtQueue.DESC_F_WRITE : 0), head + 2);
            desc(head + 2, status, 1, VirtQueue.DESC_F_WRITE, 0);
        }
        ring.putShort((int) (AVAIL + 4 + 2L * (availIdx % RING_SIZE)), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
    }

    private void desc(int i, long addr, int len, int flags, int next) {
        int at = (int) (DESC + 16L * i);
        ring.putLong(at, addr);
        ring.putInt(at + 8, len);
        ring.putShort(at + 12, (short) flags);
        ring.putShort(at + 14, (short) next);
    }

    /** Makes the queued requests visible and kicks the device if it asked for kicks. */
    void publish() {
        if (availIdx == published) return;
        VarHandle.releaseFence();
        ring.putShort((int) AVAIL + 2, (short) availIdx);
        VarHandle.fullFence();
        boolean notify;
        if (eventIdx) {
            int availEvent = ring.getShort((int) (USED + 4 + 8L * RING_SIZE)) & 0xffff;
            notify = ((availIdx - availEvent - 1) & 0xffff) < ((availIdx - published) & 0xffff);
        } else {
            notify = (ring.getShort((int) USED) & VirtQueue.USED_F_NO_NOTIFY) == 0;
        }
        published = availIdx;
        if (notify) {
            Fds.eventfdSignal(kick);
            kicks++;
        }
    }

    /**
     * Waits until at least one request completes; stores the completed slots in
     * {@code slots} and returns how many. Throws if a request failed or the device stalls.
     */
    int reap(int[] slots) {
        long stallDeadline = 0;
        while (true) {
            int used = ring.getShort((int) USED + 2) & 0xffff;
            VarHandle.acquireFence();
            if (used != lastUsed) {
                int n = 0;
                while (lastUsed != used) {
                    int id = ring.getInt((int) (USED + 4 + 8L * (lastUsed % RING_SIZE)));
                    int slot = id / 3;
                    byte status = ring.get((int) STATUS + slot);
                    if (id % 3 != 0 || slot >= MAX_SLOTS) throw new IllegalStateException("used id " + id + " is no request head");
                    if (status != 0) throw new IllegalStateException("request on slot " + slot + " failed: status " + status);
                    slots[n++] = slot;
                    lastUsed = (lastUsed + 1) & 0xffff;
                }
                if (eventIdx) {
                    // used_event: interrupt me when the device goes past what I have seen.
                    ring.putShort((int) (AVAIL + 4 + 2L * RING_SIZE), (short) lastUsed);
                    VarHandle.fullFence();
                }
                return n;
            }
            if (trouble != null) throw new IllegalStateException("device needs reset: " + trouble);
            if (callSet.poll(1000) > 0) {
                if (Native.libc().read(call, drain, 8) == 8) interrupts++;
                stallDeadline = 0;
            } else {
                long now = System.currentTimeMillis();
                if (stallDeadline == 0) stallDeadline = now + STALL_MS;
                else if (now > stallDeadline) throw new IllegalStateException("no completion for " + STALL_MS / 1000 + " s");
            }
        }
    }

    /** How many requests the device has completed that {@link #reap} has not yet returned. */
    int completedUnreaped() {
        return ((ring.getShort((int) USED + 2) & 0xffff) - lastUsed) & 0xffff;
    }

    /** FLUSH on slot 0 with nothing else in flight; waits for it. */
    void flush() {
        queue(0, T_FLUSH, 0, 0);
        publish();
        int[] done = new int[MAX_SLOTS];
        reap(done);
    }

    @Override
    public void close() {
        try {
            device.stopQueue(0);
        } finally {
            device.close();
            Fds.closeQuietly(kick);
            Fds.closeQuietly(call);
        }
    }
}

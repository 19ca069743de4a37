package vmd.vionet;

import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;
import vmd.virtio.VirtioFeatures;

/**
 * The fuzz targets' driver: lays a descriptor chain out in a small guest RAM, one buffer
 * per piece, and pops it from a real {@link VirtQueue}, so the device code sees exactly
 * the segments a guest can make. One ring, reused for every chain.
 */
final class GuestChains {
    static final int RAM = 1 << 20, SIZE = 64;
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, BUFFERS = 0x10000;
    /** The most bytes of buffers a chain may have. */
    static final int MAX_BYTES = (int) (RAM - BUFFERS) - 16 * SIZE;

    final GuestMemory mem = GuestMemory.create("fuzz-chains", List.of(new MemoryRegion(0, RAM, 0)));

    /**
     * The chain of {@code readable} pieces then writable buffers of {@code writable} bytes
     * each (the writable ones filled with {@code fill}); empty pieces are left out, as a
     * ring takes no zero-length buffer. Null if there is nothing to chain.
     */
    DescriptorChain chain(List<byte[]> readable, int[] writable, byte fill) {
        long pieces = readable.stream().filter(p -> p.length > 0).count() + writable.length;
        long bytes = readable.stream().mapToLong(p -> p.length).sum() + java.util.Arrays.stream(writable).asLongStream().sum();
        if (pieces > SIZE || bytes > MAX_BYTES) throw new IllegalArgumentException("a chain of " + pieces + " buffers, " + bytes + " bytes");
        long at = BUFFERS;
        int n = 0;
        for (byte[] piece : readable) {
            if (piece.length == 0) continue;
            mem.write(at, piece);
            desc(n++, at, piece.length, 0);
            at += piece.length + 16; // a gap: pieces are not one buffer in disguise
        }
        for (int len : writable) {
            byte[] b = new byte[len];
            java.util.Arrays.fill(b, fill);
            mem.write(at, b);
            desc(n++, at, len, VirtQueue.DESC_F_WRITE);
            at += len + 16;
        }
        if (n == 0) return null;
        mem.putShort(DESC + 16L * (n - 1) + 12, (short) (mem.getShort(DESC + 16L * (n - 1) + 12) & ~VirtQueue.DESC_F_NEXT));
        mem.putShort(AVAIL + 4, (short) 0); // head 0 in slot 0, avail.idx 1
        mem.putShort(AVAIL + 2, (short) 1);
        mem.putShort(USED + 2, (short) 0);
        try {
            DescriptorChain c = new VirtQueue(mem, SIZE, DESC, AVAIL, USED, VirtioFeatures.bit(VirtioFeatures.VERSION_1)).pop();
            if (c == null) throw new IllegalStateException("the chain was not published");
            return c;
        } catch (VirtQueueException e) {
            throw new IllegalStateException("a well-formed chain refused: " + e.getMessage(), e);
        }
    }

    /** Descriptor {@code i}, chained to the next one (the last one's NEXT is cleared by {@link #chain}). */
    private void desc(int i, long addr, int len, int flags) {
        long d = DESC + 16L * i;
        mem.putLong(d, addr);
        mem.putInt(d + 8, len);
        mem.putShort(d + 12, (short) (flags | VirtQueue.DESC_F_NEXT));
        mem.putShort(d + 14, (short) (i + 1));
    }
}

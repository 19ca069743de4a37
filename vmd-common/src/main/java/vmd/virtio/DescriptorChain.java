package vmd.virtio;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One available descriptor chain, already walked and checked: its device-readable
 * buffers followed by its device-writable buffers, each a direct ByteBuffer over guest
 * RAM (zero copy). Give it back with {@link VirtQueue#pushUsed(DescriptorChain, int)}.
 *
 * <p>A descriptor whose range crosses from one guest RAM region into an adjacent one,
 * or is longer than 1 GiB, appears as several segments.
 */
public final class DescriptorChain {
    /** One contiguous piece of a buffer: its guest-physical address and the bytes there. */
    public record Segment(long address, ByteBuffer buffer) {
        public int length() {
            return buffer.capacity();
        }
    }

    private final int head;
    private final int descriptorCount;
    private final List<Segment> readable;
    private final List<Segment> writable;
    private final long readableLength;
    private final long writableLength;

    DescriptorChain(int head, int descriptorCount, List<Segment> readable, List<Segment> writable,
                    long readableLength, long writableLength) {
        this.head = head;
        this.descriptorCount = descriptorCount;
        this.readable = Collections.unmodifiableList(readable);
        this.writable = Collections.unmodifiableList(writable);
        this.readableLength = readableLength;
        this.writableLength = writableLength;
    }

    /** The head descriptor index: the id the used element carries. */
    public int head() {
        return head;
    }

    /** Descriptors walked, including indirect ones and the descriptor pointing at an indirect table. */
    public int descriptorCount() {
        return descriptorCount;
    }

    public List<Segment> readableSegments() {
        return readable;
    }

    public List<Segment> writableSegments() {
        return writable;
    }

    /** The device-readable buffers, in chain order (position 0, limit = length). */
    public List<ByteBuffer> readable() {
        List<ByteBuffer> out = new ArrayList<>(readable.size());
        for (Segment s : readable) out.add(s.buffer());
        return out;
    }

    /** The device-writable buffers, in chain order (position 0, limit = length). */
    public List<ByteBuffer> writable() {
        List<ByteBuffer> out = new ArrayList<>(writable.size());
        for (Segment s : writable) out.add(s.buffer());
        return out;
    }

    public ByteBuffer[] readableArray() {
        return readable().toArray(new ByteBuffer[0]);
    }

    public ByteBuffer[] writableArray() {
        return writable().toArray(new ByteBuffer[0]);
    }

    public long readableLength() {
        return readableLength;
    }

    public long writableLength() {
        return writableLength;
    }

    /** Copies up to {@code max} bytes of the readable part, from its start. */
    public byte[] readReadable(int max) {
        int n = (int) Math.min(max, readableLength);
        byte[] out = new byte[n];
        int at = 0;
        for (int i = 0; i < readable.size() && at < n; i++) { // by index: no iterator per frame
            Segment s = readable.get(i);
            int k = Math.min(n - at, s.length());
            s.buffer().get(0, out, at, k);
            at += k;
        }
        return out;
    }

    /**
     * Scatters {@code src}'s remaining bytes into the writable part starting at
     * {@code offset}; returns how many fit. Advances {@code src}.
     */
    public int writeWritable(long offset, ByteBuffer src) {
        int written = 0;
        long skip = offset;
        for (int i = 0; i < writable.size() && src.hasRemaining(); i++) { // by index, absolute copies: nothing allocated
            Segment s = writable.get(i);
            if (skip >= s.length()) {
                skip -= s.length();
                continue;
            }
            int k = (int) Math.min(s.length() - skip, src.remaining());
            s.buffer().put((int) skip, src, src.position(), k);
            skip = 0;
            src.position(src.position() + k);
            written += k;
        }
        return written;
    }

    @Override
    public String toString() {
        return "DescriptorChain[head=" + head + ", descriptors=" + descriptorCount + ", readable=" + readableLength
                + ", writable=" + writableLength + "]";
    }
}

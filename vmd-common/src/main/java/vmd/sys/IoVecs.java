package vmd.sys;

import static vmd.sys.Native.U64;

import java.nio.ByteBuffer;
import java.lang.foreign.MemorySegment;

/**
 * A reusable native iovec array built from direct ByteBuffers (guest buffers or a
 * staging buffer): readv/writev and preadv/pwritev then move bytes straight between a
 * tap or an image and guest memory. One per thread; not thread-safe.
 */
public final class IoVecs {
    public static final int MAX = 1024; // UIO_MAXIOV
    private final MemorySegment mem = Native.allocate(16 * MAX);
    private final long base = mem.address();
    private int count;
    private long total;

    public void clear() {
        count = 0;
        total = 0;
    }

    /** Adds {@code length} bytes of {@code buf} from {@code offset}; false if the array is full. */
    public boolean add(ByteBuffer buf, int offset, int length) {
        if (length <= 0) return true;
        if (count == MAX) return false;
        if (offset < 0 || offset + length > buf.capacity()) throw new IndexOutOfBoundsException();
        long addr = Native.address(buf) + offset;
        mem.set(U64, 16L * count, addr);
        mem.set(U64, 16L * count + 8, length);
        count++;
        total += length;
        return true;
    }

    public int count() {
        return count;
    }

    public long total() {
        return total;
    }

    public long address() {
        return base;
    }
}

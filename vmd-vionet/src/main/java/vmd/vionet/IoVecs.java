package vmd.vionet;

import static vmd.sys.Native.U64;

import java.nio.ByteBuffer;
import java.lang.foreign.MemorySegment;
import vmd.sys.Native;

/**
 * A reusable native iovec array built from direct ByteBuffers (guest buffers or a
 * staging buffer): readv/writev then move bytes straight between the tap and guest
 * memory. One per thread; not thread-safe.
 */
final class IoVecs {
    static final int MAX = 1024; // UIO_MAXIOV
    private final MemorySegment mem = Native.allocate(16 * MAX);
    private final long base = mem.address();
    private int count;
    private long total;

    void clear() {
        count = 0;
        total = 0;
    }

    /** Adds {@code length} bytes of {@code buf} from {@code offset}; false if the array is full. */
    boolean add(ByteBuffer buf, int offset, int length) {
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

    int count() {
        return count;
    }

    long total() {
        return total;
    }

    long address() {
        return base;
    }
}

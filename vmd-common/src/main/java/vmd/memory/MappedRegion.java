package vmd.memory;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A guest RAM region mapped into this process, seen as direct ByteBuffers over the
 * mapping (zero copy). A ByteBuffer addresses at most 2 GiB, so the region is cut into
 * 1 GiB chunks; a range that straddles two chunks gets a buffer of its own.
 */
public final class MappedRegion {
    public static final long PAGE_SIZE = 4096;
    static final int CHUNK_SHIFT = 30;
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;

    private final MemoryRegion region;
    private final long hostAddress;
    private final ByteBuffer[] chunks;

    MappedRegion(MemoryRegion region, long hostAddress) {
        this.region = region;
        this.hostAddress = hostAddress;
        int count = (int) ((region.size() + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
        this.chunks = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            long len = Math.min(CHUNK_SIZE, region.size() - ((long) i << CHUNK_SHIFT));
            chunks[i] = wrap(hostAddress + ((long) i << CHUNK_SHIFT), (int) len);
        }
    }

    private static ByteBuffer wrap(long address, int length) {
        return MemoryIO.getInstance().newDirectByteBuffer(address, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    public MemoryRegion region() {
        return region;
    }

    public long hostAddress() {
        return hostAddress;
    }

    /** A little-endian buffer over [gpa, gpa+length); the caller has checked the bounds. */
    ByteBuffer slice(long gpa, int length) {
        long offset = gpa - region.guestAddress();
        int chunk = (int) (offset >>> CHUNK_SHIFT);
        int within = (int) (offset & (CHUNK_SIZE - 1));
        if (within + (long) length <= chunks[chunk].capacity()) {
            return chunks[chunk].slice(within, length).order(ByteOrder.LITTLE_ENDIAN);
        }
        return wrap(hostAddress + offset, length);
    }
}

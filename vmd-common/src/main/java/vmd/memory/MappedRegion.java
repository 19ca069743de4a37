package vmd.memory;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A guest RAM region mapped into this process, as one {@link MemorySegment} over the
 * whole mapping; ranges of it are handed out as direct ByteBuffers over the same memory
 * (zero copy). A ByteBuffer addresses at most 2 GiB, so {@link #CHUNK_SIZE} is the
 * largest range one slice is asked for.
 */
public final class MappedRegion {
    public static final long PAGE_SIZE = 4096;
    static final long CHUNK_SIZE = 1L << 30;

    private final MemoryRegion region;
    private final long hostAddress;
    private final MemorySegment segment;

    MappedRegion(MemoryRegion region, long hostAddress) {
        this.region = region;
        this.hostAddress = hostAddress;
        this.segment = MemorySegment.ofAddress(hostAddress).reinterpret(region.size());
    }

    public MemoryRegion region() {
        return region;
    }

    public long hostAddress() {
        return hostAddress;
    }

    /** The whole region, guest-physical {@code region().guestAddress()} at offset 0. */
    public MemorySegment segment() {
        return segment;
    }

    /** A little-endian buffer over [gpa, gpa+length); the caller has checked the bounds. */
    ByteBuffer slice(long gpa, int length) {
        return segment.asSlice(gpa - region.guestAddress(), length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}

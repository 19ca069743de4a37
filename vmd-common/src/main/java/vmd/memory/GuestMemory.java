package vmd.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Guest RAM as this process sees it: guest-physical ranges mapped under the sealed
 * mapping contract, read and written through bounds-checked direct ByteBuffers.
 *
 * <p>An address or length that leaves guest RAM raises {@link GuestMemoryException};
 * no guest-supplied address ever reaches host memory outside the mappings.
 */
public final class GuestMemory {
    private final MappedRegion[] regions;
    private final int fd;
    private final boolean msealed;

    private GuestMemory(List<MappedRegion> regions, int fd, boolean msealed) {
        this.regions = regions.toArray(new MappedRegion[0]);
        this.fd = fd;
        this.msealed = msealed;
    }

    /**
     * Creates guest RAM for a vm process: one sealed memfd big enough for every region
     * (their file offsets must not overlap) and one sealed mapping of it.
     */
    public static GuestMemory create(String name, List<MemoryRegion> layout) {
        checkLayout(layout);
        long fileSize = layout.stream().mapToLong(r -> r.fileOffset() + r.size()).max().orElseThrow();
        int fd = SealedMemfd.create(name, fileSize);
        SealedMapping mapping = SealedMapping.map(fd, fileSize, 0);
        List<MappedRegion> mapped = new ArrayList<>();
        for (MemoryRegion r : layout) mapped.add(new MappedRegion(r, mapping.address() + r.fileOffset()));
        return new GuestMemory(mapped, fd, mapping.msealed());
    }

    /**
     * Maps guest RAM received from another process (a device process's view): each
     * region gets its own sealed mapping of {@code fd} at the region's file offset.
     * The memfd must carry the size seals, or a peer could truncate it under us.
     */
    public static GuestMemory map(int fd, List<MemoryRegion> layout) {
        checkLayout(layout);
        if (!SealedMemfd.isSizeSealed(fd)) {
            throw new GuestMemoryException("received guest memory file is not size-sealed");
        }
        List<MappedRegion> mapped = new ArrayList<>();
        boolean sealed = true;
        for (MemoryRegion r : layout) {
            SealedMapping m = SealedMapping.map(fd, r.size(), r.fileOffset());
            sealed &= m.msealed();
            mapped.add(new MappedRegion(r, m.address()));
        }
        return new GuestMemory(mapped, fd, sealed);
    }

    private static void checkLayout(List<MemoryRegion> layout) {
        if (layout.isEmpty()) throw new IllegalArgumentException("guest memory needs at least one region");
        List<MemoryRegion> sorted = new ArrayList<>(layout);
        sorted.sort(Comparator.comparingLong(MemoryRegion::guestAddress));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).guestAddress() < sorted.get(i - 1).end()) {
                throw new IllegalArgumentException("guest memory regions overlap: " + sorted.get(i - 1) + ", " + sorted.get(i));
            }
        }
    }

    /** The memfd behind the RAM (owned by this object's creator; close-on-exec). */
    public int fd() {
        return fd;
    }

    public boolean msealed() {
        return msealed;
    }

    public List<MappedRegion> regions() {
        return List.of(regions);
    }

    public long totalSize() {
        long total = 0;
        for (MappedRegion r : regions) total += r.region().size();
        return total;
    }

    /** A little-endian buffer over guest RAM [gpa, gpa+length): position 0, limit length. */
    public ByteBuffer buffer(long gpa, int length) {
        return find(gpa, length).slice(gpa, length);
    }

    /** The host address of guest RAM at {@code gpa}, valid for {@code length} bytes. */
    public long hostAddress(long gpa, long length) {
        MappedRegion r = find(gpa, length);
        return r.hostAddress() + (gpa - r.region().guestAddress());
    }

    public boolean contains(long gpa, long length) {
        for (MappedRegion r : regions) if (r.region().contains(gpa, length)) return true;
        return false;
    }

    private MappedRegion find(long gpa, long length) {
        for (MappedRegion r : regions) {
            if (r.region().contains(gpa, length)) return r;
        }
        throw new GuestMemoryException(String.format("guest address range 0x%x+0x%x is outside guest RAM", gpa, length));
    }

    // Scalars go straight through the region's segment: no buffer per access (virtqueue
    // indices and descriptors are read this way on every request).
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public byte getByte(long gpa) {
        MappedRegion r = find(gpa, 1);
        return r.segment().get(ValueLayout.JAVA_BYTE, gpa - r.region().guestAddress());
    }

    public short getShort(long gpa) {
        MappedRegion r = find(gpa, 2);
        return r.segment().get(LE16, gpa - r.region().guestAddress());
    }

    public int getInt(long gpa) {
        MappedRegion r = find(gpa, 4);
        return r.segment().get(LE32, gpa - r.region().guestAddress());
    }

    public long getLong(long gpa) {
        MappedRegion r = find(gpa, 8);
        return r.segment().get(LE64, gpa - r.region().guestAddress());
    }

    public void putByte(long gpa, byte v) {
        MappedRegion r = find(gpa, 1);
        r.segment().set(ValueLayout.JAVA_BYTE, gpa - r.region().guestAddress(), v);
    }

    public void putShort(long gpa, short v) {
        MappedRegion r = find(gpa, 2);
        r.segment().set(LE16, gpa - r.region().guestAddress(), v);
    }

    public void putInt(long gpa, int v) {
        MappedRegion r = find(gpa, 4);
        r.segment().set(LE32, gpa - r.region().guestAddress(), v);
    }

    public void putLong(long gpa, long v) {
        MappedRegion r = find(gpa, 8);
        r.segment().set(LE64, gpa - r.region().guestAddress(), v);
    }

    public void write(long gpa, byte[] data) {
        MappedRegion r = find(gpa, data.length);
        MemorySegment.copy(data, 0, r.segment(), ValueLayout.JAVA_BYTE, gpa - r.region().guestAddress(), data.length);
    }

    public byte[] read(long gpa, int length) {
        MappedRegion r = find(gpa, length);
        byte[] out = new byte[length];
        MemorySegment.copy(r.segment(), ValueLayout.JAVA_BYTE, gpa - r.region().guestAddress(), out, 0, length);
        return out;
    }
}

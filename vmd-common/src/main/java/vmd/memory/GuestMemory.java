package vmd.memory;

import java.nio.ByteBuffer;
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

    public byte getByte(long gpa) {
        return buffer(gpa, 1).get(0);
    }

    public short getShort(long gpa) {
        return buffer(gpa, 2).getShort(0);
    }

    public int getInt(long gpa) {
        return buffer(gpa, 4).getInt(0);
    }

    public long getLong(long gpa) {
        return buffer(gpa, 8).getLong(0);
    }

    public void putByte(long gpa, byte v) {
        buffer(gpa, 1).put(0, v);
    }

    public void putShort(long gpa, short v) {
        buffer(gpa, 2).putShort(0, v);
    }

    public void putInt(long gpa, int v) {
        buffer(gpa, 4).putInt(0, v);
    }

    public void putLong(long gpa, long v) {
        buffer(gpa, 8).putLong(0, v);
    }

    public void write(long gpa, byte[] data) {
        buffer(gpa, data.length).put(data);
    }

    public byte[] read(long gpa, int length) {
        byte[] out = new byte[length];
        buffer(gpa, length).get(out);
        return out;
    }
}

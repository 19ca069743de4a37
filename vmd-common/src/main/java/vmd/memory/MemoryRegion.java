package vmd.memory;

/**
 * One contiguous range of guest-physical RAM and where it sits in the memory file:
 * the same triple KVM_SET_USER_MEMORY_REGION and vhost-user SET_MEM_TABLE describe.
 */
public record MemoryRegion(long guestAddress, long size, long fileOffset) {
    public MemoryRegion {
        if (guestAddress < 0 || size <= 0 || fileOffset < 0) {
            throw new IllegalArgumentException("bad memory region: gpa=" + guestAddress + " size=" + size + " offset=" + fileOffset);
        }
        if (((guestAddress | size | fileOffset) & (MappedRegion.PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("memory region not page aligned: gpa=0x" + Long.toHexString(guestAddress)
                    + " size=0x" + Long.toHexString(size) + " offset=0x" + Long.toHexString(fileOffset));
        }
    }

    public long end() {
        return guestAddress + size;
    }

    public boolean contains(long gpa, long length) {
        return gpa >= guestAddress && length >= 0 && gpa - guestAddress <= size - length;
    }
}

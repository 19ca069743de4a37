package vmd.memory;

import vmd.sys.Fds;
import vmd.sys.Mman;

/**
 * The file behind guest RAM: an anonymous memfd whose size is sealed, so no process
 * that holds it (the vm process, a device process) can shrink it under another's
 * mapping or grow it, and the seals themselves cannot be changed.
 */
public final class SealedMemfd {
    public static final int SIZE_SEALS = Mman.F_SEAL_SHRINK | Mman.F_SEAL_GROW | Mman.F_SEAL_SEAL;

    private SealedMemfd() {}

    /** Creates a close-on-exec memfd of {@code size} bytes with its size sealed. */
    public static int create(String name, long size) {
        if (size <= 0 || size % MappedRegion.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("guest memory size must be a positive multiple of 4 KiB: " + size);
        }
        int fd = Mman.memfdCreate(name, Mman.MFD_CLOEXEC | Mman.MFD_ALLOW_SEALING);
        try {
            Mman.ftruncate(fd, size);
            Mman.addSeals(fd, SIZE_SEALS);
            return fd;
        } catch (RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }

    /** True if {@code fd} carries at least the size seals (checked before a received fd is trusted). */
    public static boolean isSizeSealed(int fd) {
        return (Mman.seals(fd) & SIZE_SEALS) == SIZE_SEALS;
    }
}

package vmd.sys;

import static vmd.sys.Native.check;
import static vmd.sys.Native.libc;

/** mmap(2) and friends, memfd_create(2) and file seals. Constants are Linux x86-64's. */
public final class Mman {
    public static final int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;
    public static final long MAP_FAILED = -1L;
    public static final int MADV_DONTFORK = 10, MADV_DONTDUMP = 16;
    public static final int MREMAP_MAYMOVE = 1;

    public static final int MFD_CLOEXEC = 0x1, MFD_ALLOW_SEALING = 0x2;
    public static final int F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x1, F_SEAL_SHRINK = 0x2, F_SEAL_GROW = 0x4, F_SEAL_WRITE = 0x8;

    /** mseal(2), Linux 6.10+; no libc wrapper yet. */
    public static final long SYS_MSEAL = 462;

    private Mman() {}

    public static int memfdCreate(String name, int flags) {
        return check("memfd_create", libc().memfd_create(name, flags));
    }

    public static void ftruncate(int fd, long size) {
        check("ftruncate", libc().ftruncate(fd, size));
    }

    public static void addSeals(int fd, int seals) {
        check("fcntl(F_ADD_SEALS)", libc().fcntl(fd, F_ADD_SEALS, seals));
    }

    public static int seals(int fd) {
        return check("fcntl(F_GET_SEALS)", libc().fcntl(fd, F_GET_SEALS, 0));
    }

    /** A shared read-write mapping of {@code fd} at an address the kernel chooses. */
    public static long mmapShared(int fd, long length, long offset) {
        return check("mmap", libc().mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset));
    }

    public static long mmapAnonymous(long length) {
        return check("mmap", libc().mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    }

    public static void munmap(long addr, long length) {
        check("munmap", libc().munmap(addr, length));
    }

    public static void mprotect(long addr, long length, int prot) {
        check("mprotect", libc().mprotect(addr, length, prot));
    }

    public static long mremap(long addr, long oldLength, long newLength, int flags) {
        return check("mremap", libc().mremap(addr, oldLength, newLength, flags));
    }

    public static void madvise(long addr, long length, int advice) {
        check("madvise", libc().madvise(addr, length, advice));
    }

    /** Seals a mapping: it can no longer be unmapped, moved, resized or re-protected. */
    public static void mseal(long addr, long length) {
        check("mseal", libc().syscall(SYS_MSEAL, addr, length, 0));
    }
}

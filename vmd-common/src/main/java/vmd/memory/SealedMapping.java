package vmd.memory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Mman;
import vmd.sys.NativeException;

/**
 * A shared mapping of guest memory made under the contract of DESIGN.md section 2:
 * placed where the kernel chooses, not inherited by children (MADV_DONTFORK), left out
 * of core dumps (MADV_DONTDUMP), and sealed with mseal(2) so it can never be unmapped,
 * moved, resized or re-protected for the life of the process.
 */
public final class SealedMapping {
    private static final Logger log = LoggerFactory.getLogger(SealedMapping.class);
    private static final int ENOSYS = 38;
    private static volatile boolean msealMissingLogged;

    private final long address;
    private final long size;
    private final boolean msealed;

    private SealedMapping(long address, long size, boolean msealed) {
        this.address = address;
        this.size = size;
        this.msealed = msealed;
    }

    /** Maps {@code size} bytes of {@code fd} from {@code offset}. */
    public static SealedMapping map(int fd, long size, long offset) {
        long addr = Mman.mmapShared(fd, size, offset);
        try {
            Mman.madvise(addr, size, Mman.MADV_DONTFORK);
            Mman.madvise(addr, size, Mman.MADV_DONTDUMP);
        } catch (NativeException e) {
            Mman.munmap(addr, size);
            throw e;
        }
        return new SealedMapping(addr, size, seal(addr, size));
    }

    private static boolean seal(long addr, long size) {
        try {
            Mman.mseal(addr, size);
            return true;
        } catch (NativeException e) {
            if (e.errno() != ENOSYS) throw e;
            if (!msealMissingLogged) {
                msealMissingLogged = true;
                log.warn("mseal is not available on this kernel (Linux 6.10+ needed); guest memory mappings stay unsealed");
            }
            return false;
        }
    }

    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    /** Whether mseal(2) took; false only on kernels without it. */
    public boolean msealed() {
        return msealed;
    }
}

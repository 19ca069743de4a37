package vmd.vioblk.disk;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;
import vmd.sys.Native;

/**
 * The few libc calls the disk layer makes that vmd.sys.LibC does not bind. Buffers are
 * passed as raw addresses of direct ByteBuffers, so I/O goes straight to guest memory.
 * Loaded after {@link Native} so jnr-ffi's flags are set first. Public only because jnr-ffi
 * generates its implementation in another class loader; not part of the disk API.
 */
@SaveError
public interface DiskSyscalls {
    int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_ZERO_RANGE = 0x10;
    int SEEK_END = 2;
    int EINTR = 4, EOPNOTSUPP = 95, ENOSYS = 38, EINVAL = 22;

    long pread(int fd, long buf, long count, long offset);
    long pwrite(int fd, long buf, long count, long offset);
    int fdatasync(int fd);
    int fallocate(int fd, int mode, long offset, long length);
    long lseek(int fd, long offset, int whence);
    int ftruncate(int fd, long length);
    int close(int fd);

    /** The binding (loaded on first use). */
    static DiskSyscalls get() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final DiskSyscalls INSTANCE;

        static {
            Native.runtime(); // sets jnr.ffi.x86asm.enabled=false before our load
            INSTANCE = LibraryLoader.create(DiskSyscalls.class).load("c");
        }

        private Holder() {}
    }
}

package vmd.vionet;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import vmd.sys.Native;

/**
 * The libc calls vionet makes that vmd.sys does not bind: scatter/gather I/O on the tap
 * straight from and into guest buffers, and the tun ioctls. Public only because jnr-ffi
 * generates its implementation in another class loader.
 */
@SaveError
public interface NetSyscalls {
    int EINTR = 4, EAGAIN = 11, EINVAL = 22, EIO = 5;

    long readv(int fd, long iov, int iovcnt);
    long writev(int fd, long iov, int iovcnt);
    int ioctl(int fd, long request, Pointer arg);
    int ioctl(int fd, long request, long arg);

    static NetSyscalls get() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final NetSyscalls INSTANCE;

        static {
            Native.runtime(); // sets jnr.ffi.x86asm.enabled=false before our load
            INSTANCE = LibraryLoader.create(NetSyscalls.class).load("c");
        }

        private Holder() {}
    }
}

package vmd.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The one place native libraries are loaded.
 *
 * <p>jnr-ffi 2.2.17's x86 assembly stubs pass garbage as the sixth argument of a
 * function with six primitive arguments (mmap then fails with EINVAL), so the
 * stubs are switched off before the first library load. Everything in vmd reaches
 * libc through this class so that nothing can load jnr-ffi earlier.
 */
public final class Native {
    static {
        System.setProperty("jnr.ffi.x86asm.enabled", "false");
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Native() {}

    public static LibC libc() {
        return LIBC;
    }

    public static POSIX posix() {
        return POSIX;
    }

    public static Runtime runtime() {
        return RUNTIME;
    }

    /** errno saved by the last call on this thread. */
    public static int errno() {
        return RUNTIME.getLastError();
    }

    /** Zeroed native memory, freed when the returned pointer is collected. */
    public static Pointer allocate(int size) {
        return Memory.allocateDirect(RUNTIME, size, true);
    }

    /** Throws {@link NativeException} naming {@code call} if {@code rc} is -1. */
    public static int check(String call, int rc) {
        if (rc == -1) throw new NativeException(call, errno());
        return rc;
    }

    public static long check(String call, long rc) {
        if (rc == -1) throw new NativeException(call, errno());
        return rc;
    }

    /** For calls that return an error number instead of setting errno (pthread, posix_spawn). */
    public static void checkReturned(String call, int err) {
        if (err != 0) throw new NativeException(call, err);
    }
}

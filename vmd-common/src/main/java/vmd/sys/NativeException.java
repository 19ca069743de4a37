package vmd.sys;

import jnr.constants.platform.Errno;

/** A failed system call, named with its errno: {@code mmap: ENOMEM (Cannot allocate memory)}. */
public class NativeException extends RuntimeException {
    private final String call;
    private final int errno;

    public NativeException(String call, int errno) {
        super(call + ": " + describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    public static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        if (e == null || e == Errno.__UNKNOWN_CONSTANT__) return "errno " + errno;
        return e.name() + " (" + e.description() + ")";
    }
}

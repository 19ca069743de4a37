package vmd.sys;

import static vmd.sys.Native.libc;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U32;

import java.lang.foreign.MemorySegment;

/** A reusable poll(2) set over several descriptors, each watched for readability. */
public final class PollSet {
    private static final int EINTR = 4;
    private MemorySegment fds = Native.allocate(8);
    private int count;

    public void set(int... descriptors) {
        if (descriptors.length * 8L > fds.byteSize()) fds = Native.allocate(Math.max(8, descriptors.length * 8));
        for (int i = 0; i < descriptors.length; i++) {
            fds.set(U32, 8L * i, descriptors[i]);
            fds.set(U16, 8L * i + 4, Fds.POLLIN);
            fds.set(U16, 8L * i + 6, (short) 0);
        }
        count = descriptors.length;
    }

    /** Waits up to {@code timeoutMillis} (-1: forever); returns how many are ready (0 on timeout or EINTR). */
    public int poll(int timeoutMillis) {
        int rc = libc().poll(fds, count, timeoutMillis);
        if (rc < 0) {
            int errno = Native.errno();
            if (errno == EINTR) return 0;
            throw new NativeException("poll", errno);
        }
        return rc;
    }

    /** The events that occurred on descriptor {@code i} in the last poll. */
    public int revents(int i) {
        return fds.get(U16, 8L * i + 6) & 0xffff;
    }

    public boolean ready(int i) {
        return revents(i) != 0;
    }
}

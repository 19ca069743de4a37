package vmd.vm.snapshot;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import vmd.sys.Fds;
import vmd.sys.Native;

/**
 * Whole reads and writes on the descriptor a snapshot travels through: a file, a pipe
 * or a socket that vmctl handed over, blocking or not. Counts bytes for the log line.
 */
public final class StreamFd {
    private static final int EINTR = 4, EAGAIN = 11;
    private final int fd;
    private long transferred;
    /** Bytes given back by {@link #unread}, served before the descriptor. */
    private byte[] pushedBack = new byte[0];

    public StreamFd(int fd) {
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    public long transferred() {
        return transferred;
    }

    public void write(byte[] b) {
        try (Arena a = Arena.ofConfined()) { // freed at once: a migration makes ~100k of these
            MemorySegment p = a.allocate(Math.max(1, b.length));
            MemorySegment.copy(b, 0, p, ValueLayout.JAVA_BYTE, 0, b.length);
            write(p.address(), b.length);
        }
    }

    /** Writes {@code length} bytes from native memory (guest RAM goes out without a copy). */
    public void write(long address, long length) {
        long done = 0;
        while (done < length) {
            long n = Native.libc().write(fd, address + done, Math.min(length - done, 1L << 30));
            if (n < 0) {
                int errno = Native.errno();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) {
                    Fds.poll(fd, Fds.POLLOUT, 1000);
                    continue;
                }
                throw new SnapshotException("writing the snapshot: " + vmd.sys.NativeException.describe(errno));
            }
            done += n;
        }
        transferred += length;
    }

    public byte[] read(int length) {
        try (Arena a = Arena.ofConfined()) { // freed at once: headers, and state sections of up to 16 MiB
            MemorySegment p = a.allocate(Math.max(1, length));
            read(p.address(), length);
            return p.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Puts {@code b} back in front of the stream (a reader that looked at the magic). */
    public void unread(byte[] b) {
        byte[] joined = new byte[b.length + pushedBack.length];
        System.arraycopy(b, 0, joined, 0, b.length);
        System.arraycopy(pushedBack, 0, joined, b.length, pushedBack.length);
        pushedBack = joined;
        transferred -= b.length;
    }

    /** Reads exactly {@code length} bytes into native memory; end of stream first is an error. */
    public void read(long address, long length) {
        long done = 0;
        if (pushedBack.length > 0) {
            int n = (int) Math.min(length, pushedBack.length);
            MemorySegment.copy(pushedBack, 0, MemorySegment.ofAddress(address).reinterpret(n), ValueLayout.JAVA_BYTE, 0, n);
            pushedBack = java.util.Arrays.copyOfRange(pushedBack, n, pushedBack.length);
            done = n;
        }
        while (done < length) {
            long n = Native.libc().read(fd, address + done, Math.min(length - done, 1L << 30));
            if (n < 0) {
                int errno = Native.errno();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) {
                    Fds.poll(fd, Fds.POLLIN, 1000);
                    continue;
                }
                throw new SnapshotException("reading the snapshot: " + vmd.sys.NativeException.describe(errno));
            }
            if (n == 0) throw new SnapshotException("the snapshot stream ended early (" + (transferred + done) + " bytes read)");
            done += n;
        }
        transferred += length;
    }
}

package vmd.sys;

import static vmd.sys.Native.check;
import static vmd.sys.Native.libc;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U32;
import static vmd.sys.Native.U64;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Plain descriptor calls: close, read, write, eventfd, fcntl flags, ioctl, pipes. */
public final class Fds {
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
    public static final int O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public static final int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1, F_DUPFD_CLOEXEC = 1030;
    public static final int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    private Fds() {}

    public static void close(int fd) {
        check("close", libc().close(fd));
    }

    /** Closes and ignores errors; for cleanup paths that already have a failure to report. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) libc().close(fd);
    }

    public static int eventfd(int flags) {
        return check("eventfd", libc().eventfd(0, flags));
    }

    /** An 8-byte eventfd counter per thread: kicks and interrupts are the data path, so no allocation. */
    private static final ThreadLocal<MemorySegment> COUNTER = ThreadLocal.withInitial(() -> Native.allocate(8));

    /** Adds 1 to an eventfd's counter. */
    public static void eventfdSignal(int fd) {
        MemorySegment one = COUNTER.get();
        one.set(U64, 0, 1L);
        check("write(eventfd)", libc().write(fd, one, 8));
    }

    /** Reads and resets an eventfd's counter (blocks if it is zero and the fd is blocking). */
    public static long eventfdRead(int fd) {
        MemorySegment value = COUNTER.get();
        check("read(eventfd)", libc().read(fd, value, 8));
        return value.get(U64, 0);
    }

    /** Reads into a buffer at its position; returns bytes read, 0 at end of file. Heap buffers are bounced. */
    public static int read(int fd, ByteBuffer buf) {
        if (!buf.isDirect()) {
            ByteBuffer bounce = ByteBuffer.allocateDirect(buf.remaining());
            int n = read(fd, bounce);
            buf.put(bounce.flip());
            return n;
        }
        long n = check("read", libc().read(fd, Native.address(buf) + buf.position(), buf.remaining()));
        buf.position(buf.position() + (int) n);
        return (int) n;
    }

    public static int write(int fd, ByteBuffer buf) {
        if (!buf.isDirect()) {
            ByteBuffer bounce = ByteBuffer.allocateDirect(buf.remaining()).put(buf.duplicate()).flip();
            int n = write(fd, bounce);
            buf.position(buf.position() + n);
            return n;
        }
        long n = check("write", libc().write(fd, Native.address(buf) + buf.position(), buf.remaining()));
        buf.position(buf.position() + (int) n);
        return (int) n;
    }

    public static final short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10;

    /**
     * Waits up to {@code timeoutMillis} (-1: forever) for {@code events} on one descriptor;
     * returns the events that occurred, 0 on timeout.
     */
    public static int poll(int fd, short events, int timeoutMillis) {
        MemorySegment pfd = Native.allocate(8);
        pfd.set(U32, 0, fd);
        pfd.set(U16, 4, events);
        int rc = libc().poll(pfd, 1, timeoutMillis);
        if (rc < 0) {
            if (Native.errno() == 4) return 0; // EINTR: the caller loops anyway
            throw new NativeException("poll", Native.errno());
        }
        return rc == 0 ? 0 : pfd.get(U16, 6) & 0xffff;
    }

    /** Reads and resets a non-blocking eventfd; 0 if it was not signalled. */
    public static long eventfdDrain(int fd) {
        MemorySegment value = COUNTER.get();
        long n = libc().read(fd, value, 8);
        return n == 8 ? value.get(U64, 0) : 0;
    }

    /** A close-on-exec duplicate (F_DUPFD_CLOEXEC): the same open file description, one more owner. */
    public static int dup(int fd) {
        return check("fcntl(F_DUPFD_CLOEXEC)", libc().fcntl(fd, F_DUPFD_CLOEXEC, 3));
    }

    public static void setCloexec(int fd, boolean on) {
        int flags = check("fcntl(F_GETFD)", libc().fcntl(fd, F_GETFD, 0));
        flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        check("fcntl(F_SETFD)", libc().fcntl(fd, F_SETFD, flags));
    }

    public static boolean isCloexec(int fd) {
        return (check("fcntl(F_GETFD)", libc().fcntl(fd, F_GETFD, 0)) & FD_CLOEXEC) != 0;
    }

    public static void setNonBlocking(int fd, boolean on) {
        int flags = check("fcntl(F_GETFL)", libc().fcntl(fd, F_GETFL, 0));
        flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        check("fcntl(F_SETFL)", libc().fcntl(fd, F_SETFL, flags));
    }

    /** A pipe whose both ends are close-on-exec: {read, write}. */
    public static int[] pipe() {
        int[] fds = new int[2];
        check("pipe2", libc().pipe2(fds, O_CLOEXEC));
        return fds;
    }

    public static int open(String path, int flags) {
        int fd = libc().open(path, flags | O_CLOEXEC, 0);
        if (fd < 0) throw new NativeException("open " + path, Native.errno());
        return fd;
    }

    public static int ioctl(int fd, String name, long request, long arg) {
        return check(name, libc().ioctl(fd, request, arg));
    }

    public static int ioctl(int fd, String name, long request, MemorySegment arg) {
        return check(name, libc().ioctl(fd, request, arg));
    }

    /** What fstat(2) says of an open file (struct stat on x86-64: dev@0, ino@8, mode@24, size@48). */
    public record Stat(long dev, long ino, int mode, long size) {
        private static final int S_IFMT = 0170000, S_IFREG = 0100000;

        public boolean isFile() {
            return (mode & S_IFMT) == S_IFREG;
        }
    }

    private static final int STAT_SIZE = 144;

    public static Stat fstat(int fd) {
        MemorySegment st = Native.allocate(STAT_SIZE);
        check("fstat", libc().fstat(fd, st));
        return new Stat(st.get(U64, 0), st.get(U64, 8), st.get(U32, 24), st.get(U64, 48));
    }
}

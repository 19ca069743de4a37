package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import vmd.sys.Fds;
import vmd.sys.IoVecs;
import vmd.sys.Native;
import vmd.sys.NativeException;

/**
 * An image file on a raw descriptor: pread/pwrite into direct buffers at their address
 * (zero copy), fdatasync, fallocate. Heap buffers go through a bounce buffer.
 */
final class FdImageFile implements ImageFile {
    private static final int BOUNCE = 1 << 20;
    private static final ThreadLocal<ByteBuffer> BOUNCE_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BOUNCE));

    private static final int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int SEEK_END = 2;
    private static final int EINTR = 4, EOPNOTSUPP = 95, ENOSYS = 38;
    private final vmd.sys.LibC sys = Native.libc();
    private final int fd;
    private final String name;
    private final boolean writable;
    private volatile boolean closed;
    private volatile boolean fallocateWorks = true;

    FdImageFile(int fd, String name, boolean writable) {
        if (fd < 0) throw new IllegalArgumentException("bad descriptor " + fd);
        this.fd = fd;
        this.name = name;
        this.writable = writable;
    }

    static FdImageFile open(Path path, boolean writable) throws IOException {
        try {
            return new FdImageFile(Fds.open(path.toString(), writable ? Fds.O_RDWR : Fds.O_RDONLY), path.toString(), writable);
        } catch (NativeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static FdImageFile create(Path path) throws IOException {
        int O_CREAT = 0x40, O_EXCL = 0x80;
        // Never clobber an existing image; images may hold secrets, so only the owner reads them.
        int fd = Native.libc().open(path.toString(), Fds.O_RDWR | O_CREAT | O_EXCL | Fds.O_CLOEXEC, 0600);
        if (fd < 0) throw new IOException("create " + path + ": " + NativeException.describe(Native.errno()));
        return new FdImageFile(fd, path.toString(), true);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    private IOException error(String call, long position, int errno) {
        return new IOException(name + ": " + call + " at offset " + position + ": " + NativeException.describe(errno));
    }

    private void checkOpen() throws IOException {
        if (closed) throw new IOException(name + ": closed");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        checkOpen();
        int want = dst.remaining();
        if (want == 0) return 0;
        if (!dst.isDirect()) {
            ByteBuffer b = BOUNCE_BUFFER.get().clear().limit(Math.min(want, BOUNCE));
            int n = read(b, position);
            if (n > 0) dst.put(b.flip());
            return n;
        }
        long addr = Native.address(dst) + dst.position();
        for (;;) {
            long n = sys.pread(fd, addr, want, position);
            if (n >= 0) {
                if (n == 0) return -1;
                dst.position(dst.position() + (int) n);
                return (int) n;
            }
            int errno = Native.errno();
            if (errno != EINTR) throw error("pread", position, errno);
        }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        checkOpen();
        if (!writable) throw new IOException(name + ": opened read-only");
        int want = src.remaining();
        if (want == 0) return 0;
        if (!src.isDirect()) {
            ByteBuffer b = BOUNCE_BUFFER.get().clear();
            int len = Math.min(want, BOUNCE);
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + len);
            b.put(part).flip();
            int n = write(b, position);
            src.position(src.position() + n);
            return n;
        }
        long addr = Native.address(src) + src.position();
        for (;;) {
            long n = sys.pwrite(fd, addr, want, position);
            if (n >= 0) {
                src.position(src.position() + (int) n);
                return (int) n;
            }
            int errno = Native.errno();
            if (errno != EINTR) throw error("pwrite", position, errno);
        }
    }

    /** One iovec array per thread (the ring's and the I/O threads). */
    private static final ThreadLocal<IoVecs> IOVECS = ThreadLocal.withInitial(IoVecs::new);

    @Override
    public long readUpTo(List<ByteBuffer> dsts, long position) throws IOException {
        return vectored(dsts, position, false);
    }

    @Override
    public void writeFully(List<ByteBuffer> srcs, long position) throws IOException {
        if (!writable) throw new IOException(name + ": opened read-only");
        vectored(srcs, position, true);
    }

    /**
     * preadv/pwritev over the buffers (direct ones: guest memory), as many as an iovec
     * array holds per call, resuming after short transfers; heap buffers go one by one.
     * Returns the bytes moved (fewer than asked only for a read that reached end of file).
     */
    private long vectored(List<ByteBuffer> bufs, long position, boolean write) throws IOException {
        checkOpen();
        for (ByteBuffer b : bufs) {
            if (b.isDirect()) continue;
            if (!write) return ImageFile.super.readUpTo(bufs, position);
            long n = 0;
            for (ByteBuffer x : bufs) n += x.remaining();
            ImageFile.super.writeFully(bufs, position);
            return n;
        }
        IoVecs iov = IOVECS.get();
        long total = 0;
        int next = 0;
        while (true) {
            while (next < bufs.size() && !bufs.get(next).hasRemaining()) next++;
            if (next == bufs.size()) return total;
            iov.clear();
            for (int i = next; i < bufs.size() && iov.count() < IoVecs.MAX; i++) {
                ByteBuffer b = bufs.get(i);
                iov.add(b, b.position(), b.remaining());
            }
            long n;
            for (;;) {
                n = write ? sys.pwritev(fd, iov.address(), iov.count(), position + total)
                        : sys.preadv(fd, iov.address(), iov.count(), position + total);
                if (n >= 0) break;
                int errno = Native.errno();
                if (errno != EINTR) throw error(write ? "pwritev" : "preadv", position + total, errno);
            }
            if (n == 0) {
                if (!write) return total; // end of file
                throw new IOException(name + ": pwritev at offset " + (position + total) + " wrote nothing");
            }
            total += n;
            for (long left = n; left > 0; ) { // advance the buffers the call filled
                ByteBuffer b = bufs.get(next);
                int k = (int) Math.min(left, b.remaining());
                b.position(b.position() + k);
                left -= k;
                if (!b.hasRemaining()) next++;
            }
        }
    }

    @Override
    public long size() throws IOException {
        checkOpen();
        long n = sys.lseek(fd, 0, SEEK_END);
        if (n < 0) throw error("lseek", 0, Native.errno());
        return n;
    }

    @Override
    public void setSize(long size) throws IOException {
        checkOpen();
        if (sys.ftruncate(fd, size) != 0) throw error("ftruncate", size, Native.errno());
    }

    @Override
    public void sync() throws IOException {
        checkOpen();
        if (!writable) return;
        while (sys.fdatasync(fd) != 0) {
            int errno = Native.errno();
            if (errno != EINTR) throw error("fdatasync", 0, errno);
        }
    }

    private boolean fallocate(int mode, long offset, long length) throws IOException {
        checkOpen();
        if (!writable) throw new IOException(name + ": opened read-only");
        if (!fallocateWorks || length == 0) return length == 0;
        for (;;) {
            if (sys.fallocate(fd, mode, offset, length) == 0) return true;
            int errno = Native.errno();
            if (errno == EINTR) continue;
            if (errno == EOPNOTSUPP || errno == ENOSYS) {
                if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) fallocateWorks = false;
                return false;
            }
            throw error("fallocate", offset, errno);
        }
    }

    @Override
    public boolean punchHole(long offset, long length) throws IOException {
        return fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
    }

    @Override
    public boolean zeroRange(long offset, long length) throws IOException {
        return fallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length);
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        if (sys.close(fd) != 0) throw error("close", 0, Native.errno());
    }

    @Override
    public String toString() {
        return name;
    }
}

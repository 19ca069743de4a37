package vmd.disk;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One open image file: positional reads and writes, size, durability, and space management.
 *
 * <p>The device process never opens paths; it receives descriptors from the parent. There is
 * no public JDK way to turn an int descriptor into a {@link FileChannel} (that needs
 * reflection into java.io.FileDescriptor and {@code --add-opens}), so the production form
 * is {@link #ofFd}: pread/pwrite (preadv/pwritev for a request's segments), fdatasync and
 * fallocate on the descriptor itself through java.lang.foreign ({@code vmd.sys.LibC}),
 * straight into direct buffers (zero copy, exactly like FileChannel's positional I/O). It also avoids FileChannel's close-on-interrupt, which would let one
 * interrupted queue thread close the image for all of them. Callers that already hold a
 * FileChannel use {@link #of(FileChannel, String, boolean)}; discard and write-zeroes then
 * fall back to writing zeros.
 */
public interface ImageFile extends Closeable {
    /** The display name used in every error message (normally the image's path). */
    String name();

    boolean writable();

    /** Reads at most {@code dst.remaining()} bytes at {@code position}; -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes at most {@code src.remaining()} bytes at {@code position}. */
    int write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    /** Sets the file's length (extending with a hole, or truncating). */
    void setSize(long size) throws IOException;

    /** fdatasync: completed writes become durable. */
    void sync() throws IOException;

    /** Deallocates the range keeping the file size; false if the file system cannot. */
    boolean punchHole(long offset, long length) throws IOException;

    /** Makes the range read as zeros without writing them; false if the file system cannot. */
    boolean zeroRange(long offset, long length) throws IOException;

    /** Reads until {@code dst} is full or end of file; returns the bytes read. */
    default int readUpTo(ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = read(dst, position + total);
            if (n < 0) break;
            total += n;
        }
        return total;
    }

    /** Reads exactly {@code dst.remaining()} bytes or throws EOFException. */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        int want = dst.remaining();
        if (readUpTo(dst, position) != want)
            throw new EOFException(name() + ": unexpected end of file reading " + want + " bytes at " + position);
    }

    default void writeFully(ByteBuffer src, long position) throws IOException {
        long p = position;
        while (src.hasRemaining()) p += write(src, p);
    }

    /**
     * Reads into the buffers in turn, as one file range from {@code position}, until they
     * are full or end of file; returns the bytes read. A descriptor does it with preadv.
     */
    default long readUpTo(java.util.List<ByteBuffer> dsts, long position) throws IOException {
        long total = 0;
        for (ByteBuffer b : dsts) {
            int want = b.remaining();
            int n = readUpTo(b, position + total);
            total += n;
            if (n < want) break;
        }
        return total;
    }

    /** Writes the buffers in turn as one file range from {@code position} (pwritev on a descriptor). */
    default void writeFully(java.util.List<ByteBuffer> srcs, long position) throws IOException {
        long p = position;
        for (ByteBuffer b : srcs) {
            int n = b.remaining();
            writeFully(b, p);
            p += n;
        }
    }

    /** The production form: a descriptor received from the parent (the file takes ownership). */
    static ImageFile ofFd(int fd, String name, boolean writable) {
        return new FdImageFile(fd, name, writable);
    }

    /** Opens a path (the parent, vmctl create, tests). */
    static ImageFile open(Path path, boolean writable) throws IOException {
        return FdImageFile.open(path, writable);
    }

    /** Creates (or truncates) a file and opens it read-write. */
    static ImageFile create(Path path) throws IOException {
        return FdImageFile.create(path);
    }

    /** Wraps a FileChannel the caller produced (no fallocate: zeros are written instead). */
    static ImageFile of(FileChannel channel, String name, boolean writable) {
        return new ChannelImageFile(channel, name, writable);
    }
}

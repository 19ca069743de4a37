package vmd.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A virtual disk as the virtio-blk device sees it: a flat array of {@link #size()} bytes.
 *
 * <p>Offsets and lengths are in bytes. virtio-blk issues 512-byte aligned requests, but
 * implementations assume no alignment. Buffers may be direct ByteBuffers over guest memory;
 * implementations read and write them in place (no copy on the data path) from their
 * position to their limit, and leave the position at the limit when they return normally.
 *
 * <p>A request that does not lie inside {@code [0, size())} fails with an IOException
 * and touches nothing. All methods are safe to call from several threads at once.
 */
public interface Disk extends Closeable {
    /** Virtual size in bytes. */
    long size();

    boolean readOnly();

    /** Fills {@code dst} (position..limit) with the disk's bytes starting at {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src} (position..limit) at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Reads {@code offset} onwards into the buffers in turn (a request's data segments). */
    default void read(long offset, java.util.List<ByteBuffer> dsts) throws IOException {
        long at = offset;
        for (ByteBuffer b : dsts) {
            int n = b.remaining();
            read(at, b);
            at += n;
        }
    }

    /** Writes the buffers in turn from {@code offset} onwards. */
    default void write(long offset, java.util.List<ByteBuffer> srcs) throws IOException {
        long at = offset;
        for (ByteBuffer b : srcs) {
            int n = b.remaining();
            write(at, b);
            at += n;
        }
    }

    /** Makes every completed write durable (metadata in a safe order, then fdatasync). */
    void flush() throws IOException;

    /** Whether {@link #discard} can release space; if false, discard is a no-op. */
    boolean supportsDiscard();

    /**
     * Hints that the range's contents are no longer needed. Afterwards the range reads as
     * either its old contents or zeros; whole clusters/blocks are released where possible.
     */
    void discard(long offset, long length) throws IOException;

    /**
     * Makes the range read as zeros. With {@code mayUnmap} the implementation may release
     * the space (sparse); without it, space stays allocated where it was.
     */
    void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException;

    /** Flushes (if writable) and closes the underlying files. */
    @Override
    void close() throws IOException;

    /** Throws unless {@code [offset, offset+length)} lies inside a disk of {@code size} bytes. */
    static void checkRange(String name, long size, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset)
            throw new IOException(name + ": request at offset " + offset + " length " + length
                    + " outside disk of " + size + " bytes");
    }
}

package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A raw image: guest offset = file offset. Holes read as zeros; discard punches holes and
 * write-zeroes uses fallocate (ZERO_RANGE, or PUNCH_HOLE when unmapping is allowed), falling
 * back to writing zeros where the file system cannot.
 */
public final class RawDisk implements Disk {
    private final ImageFile file;
    private final long size;
    private final boolean readOnly;

    private RawDisk(ImageFile file, long size, boolean readOnly) {
        this.file = file;
        this.size = size;
        this.readOnly = readOnly;
    }

    /** The disk's size is the file's size at open. */
    public static RawDisk open(ImageFile file, boolean readOnly) throws IOException {
        if (!readOnly && !file.writable())
            throw new DiskFormatException(file.name(), "opened read-only but a writable disk was requested");
        return new RawDisk(file, file.size(), readOnly);
    }

    public ImageFile file() {
        return file;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void checkWritable() throws IOException {
        if (readOnly) throw new IOException(file.name() + ": read-only disk");
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        Disk.checkRange(file.name(), size, offset, dst.remaining());
        int n = file.readUpTo(dst, offset);
        // The file shrank under us (or a sparse tail): what is missing reads as zeros.
        if (dst.hasRemaining()) Zeros.fill(dst, dst.remaining());
        assert n >= 0;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkWritable();
        Disk.checkRange(file.name(), size, offset, src.remaining());
        file.writeFully(src, offset);
    }

    /** One preadv for the whole request (up to 1024 segments a call). */
    @Override
    public void read(long offset, java.util.List<ByteBuffer> dsts) throws IOException {
        long want = 0;
        for (ByteBuffer b : dsts) want += b.remaining();
        Disk.checkRange(file.name(), size, offset, want);
        file.readUpTo(dsts, offset);
        for (ByteBuffer b : dsts) if (b.hasRemaining()) Zeros.fill(b, b.remaining()); // past the file's end
    }

    /** One pwritev for the whole request. */
    @Override
    public void write(long offset, java.util.List<ByteBuffer> srcs) throws IOException {
        checkWritable();
        long want = 0;
        for (ByteBuffer b : srcs) want += b.remaining();
        Disk.checkRange(file.name(), size, offset, want);
        file.writeFully(srcs, offset);
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) file.sync();
    }

    @Override
    public boolean supportsDiscard() {
        return !readOnly && file instanceof FdImageFile;
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        checkWritable();
        Disk.checkRange(file.name(), size, offset, length);
        if (supportsDiscard()) file.punchHole(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        checkWritable();
        Disk.checkRange(file.name(), size, offset, length);
        if (length == 0) return;
        if (mayUnmap && file.punchHole(offset, length)) return;
        if (file.zeroRange(offset, length)) return;
        Zeros.write(file, offset, length);
    }

    @Override
    public void close() throws IOException {
        try {
            if (!readOnly) file.sync();
        } finally {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "raw " + file.name();
    }
}

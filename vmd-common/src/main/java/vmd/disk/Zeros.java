package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A shared read-only direct buffer of zeros, for writing and filling zeros. */
final class Zeros {
    static final int SIZE = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(SIZE).asReadOnlyBuffer();

    private Zeros() {}

    /** A view of {@code n <= SIZE} zero bytes. */
    static ByteBuffer of(int n) {
        return ZEROS.duplicate().limit(n);
    }

    /** Fills {@code dst}'s next {@code n} bytes with zeros. */
    static void fill(ByteBuffer dst, int n) {
        while (n > 0) {
            int k = Math.min(n, SIZE);
            dst.put(of(k));
            n -= k;
        }
    }

    /** Writes {@code length} zero bytes at {@code offset}. */
    static void write(ImageFile file, long offset, long length) throws IOException {
        while (length > 0) {
            int k = (int) Math.min(length, SIZE);
            file.writeFully(of(k), offset);
            offset += k;
            length -= k;
        }
    }

    static boolean isZero(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        while (d.remaining() >= 8) if (d.getLong() != 0) return false;
        while (d.hasRemaining()) if (d.get() != 0) return false;
        return true;
    }
}

package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Known content for images, and whole-disk reads for comparison. */
final class TestImages {
    private TestImages() {}

    /**
     * A raw file of {@code size} bytes: random 4 KiB..256 KiB stretches separated by zero
     * stretches, plus a few patterned sectors, from a fixed seed.
     */
    static byte[] pattern(int size, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        int p = 0;
        while (p < size) {
            int len = Math.min(size - p, 4096 * (1 + r.nextInt(64)));
            if (r.nextInt(3) != 0) {
                byte[] chunk = new byte[len];
                r.nextBytes(chunk);
                if (r.nextBoolean()) for (int i = 0; i < len; i++) chunk[i] = (byte) ((chunk[i] & 7) == 0 ? chunk[i] : 'a' + (i % 7)); // compressible
                System.arraycopy(chunk, 0, b, p, len);
            }
            p += len + 4096 * r.nextInt(32);
        }
        return b;
    }

    static Path writeRaw(Path path, byte[] content) throws IOException {
        Files.write(path, content);
        return path;
    }

    static byte[] readAll(Disk d) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect((int) d.size());
        d.read(0, b);
        byte[] out = new byte[(int) d.size()];
        b.flip().get(out);
        return out;
    }

    /** Reads the disk in random pieces (unaligned offsets and lengths included). */
    static byte[] readPieces(Disk d, long seed) throws IOException {
        Random r = new Random(seed);
        int size = (int) d.size();
        byte[] out = new byte[size];
        int p = 0;
        while (p < size) {
            int len = Math.min(size - p, r.nextBoolean() ? 512 * (1 + r.nextInt(512)) : 1 + r.nextInt(200_000));
            ByteBuffer b = r.nextBoolean() ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
            d.read(p, b);
            if (b.hasRemaining()) throw new AssertionError("read left " + b.remaining());
            b.flip().get(out, p, len);
            p += len;
        }
        return out;
    }

    static Disk open(Path image, boolean readOnly) throws IOException {
        return Qcow2Chain.open(image, readOnly);
    }
}

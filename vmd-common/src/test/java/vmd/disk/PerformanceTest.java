package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sanity figures, printed, never asserted: 64 MiB sequential write and read, 1 MiB requests. */
class PerformanceTest {
    static final int TOTAL = 64 << 20, REQUEST = 1 << 20;

    @TempDir Path dir;

    @Test
    void sequentialThroughput() throws IOException {
        Path q = dir.resolve("perf.qcow2");
        Qcow2Creator.create(q, TOTAL);
        Path r = dir.resolve("perf.raw");
        RawCreator.create(r, TOTAL);
        for (Path p : new Path[] {q, r}) {
            ByteBuffer buf = ByteBuffer.allocateDirect(REQUEST);
            byte[] noise = new byte[REQUEST];
            new Random(5).nextBytes(noise);
            buf.put(noise).flip();
            try (Disk d = TestImages.open(p, false)) {
                long t0 = System.nanoTime();
                for (long off = 0; off < TOTAL; off += REQUEST) d.write(off, buf.duplicate());
                d.flush();
                long t1 = System.nanoTime();
                for (int pass = 0; pass < 2; pass++) {
                    for (long off = 0; off < TOTAL; off += REQUEST) d.read(off, buf.clear());
                }
                long t2 = System.nanoTime();
                ByteBuffer small = ByteBuffer.allocateDirect(4096);
                Random rnd = new Random(1);
                int n = 20000;
                for (int i = 0; i < n; i++) d.read(4096L * rnd.nextInt(TOTAL / 4096), small.clear());
                long t3 = System.nanoTime();
                System.out.printf("%s: sequential write+flush %.0f MB/s, read %.0f MB/s (page cache), 4 KiB random read %.0f k IOPS%n",
                        p.getFileName(), TOTAL / 1e6 / ((t1 - t0) / 1e9), 2 * TOTAL / 1e6 / ((t2 - t1) / 1e9), n / 1e3 / ((t3 - t2) / 1e9));
                assertEquals(TOTAL, d.size());
            }
        }
        Qemu.require();
        Qemu.checkClean(q);
    }
}

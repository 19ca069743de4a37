package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The L2 cache maps the whole image by default, up to its cap, whatever the cluster size. */
class Qcow2CacheSizeTest {
    @TempDir Path dir;

    @Test
    void theDefaultCacheCoversTheImageUpToTheCap() throws Exception {
        // 64 KiB clusters: one table (8192 entries) maps 512 MiB.
        assertEquals(4 << 16, Qcow2Disk.l2CacheBytesFor(1L << 30, 16), "a small image still gets 4 tables");
        assertEquals(128 << 16, Qcow2Disk.l2CacheBytesFor(64L << 30, 16), "64 GiB: 128 tables");
        assertEquals(129 << 16, Qcow2Disk.l2CacheBytesFor((64L << 30) + 1, 16), "a byte more: one table more");
        assertEquals(Qcow2Disk.MAX_L2_CACHE_BYTES, Qcow2Disk.l2CacheBytesFor(1L << 40, 16), "1 TiB: the cap");
        // 4 KiB clusters: a table maps 2 MiB, so 20 GiB needs 10240 tables - past the cap.
        assertEquals(Qcow2Disk.MAX_L2_CACHE_BYTES, Qcow2Disk.l2CacheBytesFor(20L << 30, 12));
        assertEquals(512 << 12, Qcow2Disk.l2CacheBytesFor(1L << 30, 12), "1 GiB of 4 KiB clusters: 512 tables");

        Path q = dir.resolve("big.qcow2");
        Qcow2Creator.create(q, 100L << 30); // 100 GiB, nothing allocated
        try (Qcow2Disk d = Qcow2Disk.open(ImageFile.open(q, false), null, true)) {
            assertEquals(200, d.l2CacheTables(), "opened with a cache for all 100 GiB");
        }
    }
}

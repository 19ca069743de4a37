package vmd.vioblk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;

class BlkStatsTest {
    @TempDir
    Path tmp;

    @Test
    void latenciesFallInTheFirstBucketTheyDoNotExceed() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(0);
        h.record(50_000);          // exactly 50 us: the first bucket (le is inclusive)
        h.record(50_001);
        h.record(999_999_999);
        h.record(5_000_000_000L);  // above the last bound
        List<Long> c = h.counts();
        assertEquals(LatencyHistogram.BOUNDS.size() + 1, c.size());
        assertEquals(2, c.get(0));
        assertEquals(1, c.get(1));
        assertEquals(1, c.get(LatencyHistogram.BOUNDS.size() - 1));
        assertEquals(1, c.get(LatencyHistogram.BOUNDS.size()));
        assertEquals(6.000100000, h.sumSeconds(), 1e-9);
    }

    @Test
    void requestsThroughTheDeviceAreCountedByOperation() throws Exception {
        BlockDeviceTest blk = new BlockDeviceTest();
        blk.tmp = tmp;
        blk.setUp();
        try {
            blk.request(BlkRequest.T_OUT, 8, 4096, false);
            blk.request(BlkRequest.T_OUT, 16, 1024, false);
            blk.request(BlkRequest.T_FLUSH, 0, 0, false);
            blk.request(BlkRequest.T_IN, 8, 4096, true);
            blk.request(BlkRequest.T_IN, BlockDeviceTest.DISK_SIZE / 512, 512, true); // past the end: an error
            blk.request(99, 0, 0, false);                                         // unsupported
            Map<String, Double> values = new HashMap<>();
            Map<String, StatsSample.Histogram> latency = new HashMap<>();
            for (StatsSample s : blk.dev.stats()) {
                assertTrue(Metric.acceptable(s, Metric.Source.VIOBLK), "a sample vioblk may send: " + s);
                String key = s.name() + (s.label("op") == null ? "" : "/" + s.label("op"));
                if (s instanceof StatsSample.Histogram h) latency.put(s.label("op"), h);
                else values.put(key, ((StatsSample.Value) s).value());
            }
            assertEquals(2.0, values.get("vmd_disk_requests_total/write"));
            assertEquals(2.0, values.get("vmd_disk_requests_total/read"));
            assertEquals(1.0, values.get("vmd_disk_requests_total/flush"));
            assertEquals(1.0, values.get("vmd_disk_requests_total/unsupported"));
            assertEquals(0.0, values.get("vmd_disk_requests_total/discard"));
            assertEquals(1.0, values.get("vmd_disk_errors_total/read"));
            assertEquals(1.0, values.get("vmd_disk_errors_total/unsupported"));
            assertEquals(0.0, values.get("vmd_disk_errors_total/write"));
            assertEquals(4096.0 + 1024, values.get("vmd_disk_written_bytes_total"));
            assertEquals(4096.0, values.get("vmd_disk_read_bytes_total"), "the failed read moved nothing");
            for (BlkStats.Op op : BlkStats.Op.values()) {
                assertEquals(values.get("vmd_disk_requests_total/" + op.label()), (double) latency.get(op.label()).count(), op.label());
            }
            assertTrue(latency.get("write").sum() > 0);
        } finally {
            blk.tearDown();
        }
    }
}

package vmd.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vmd.imsg.StatsSample;

class MetricsCatalogTest {
    @Test
    void namesFollowPrometheusConventions() {
        for (Metric m : Metric.values()) {
            String n = m.metricName();
            assertTrue(n.matches("vmd_[a-z0-9_]+"), n);
            assertEquals(m.type() == Metric.Type.COUNTER, n.endsWith("_total"), n + " is a " + m.type());
            assertFalse(n.matches(".*_(bucket|sum|count|created)"), n);
            if (n.contains("bytes") || n.contains("seconds")) assertTrue(n.matches(".*_(bytes|seconds)(_total)?"), n + ": unit last");
            assertFalse(m.help().isBlank(), n);
            assertEquals(m.labels().size(), Set.copyOf(m.labels()).size(), n + " repeats a label");
            assertSame(m, Metric.byName(n));
            for (String l : m.labels()) new StatsSample.Label(l, ""); // a valid label name
        }
        assertEquals(null, Metric.byName("vmd_nonexistent"));
    }

    @Test
    void aChildSetsOnlyTheLabelsTheParentDoesNot() {
        assertEquals(Set.of("op"), Metric.DISK_REQUESTS.ownLabels());
        assertEquals(Set.of(), Metric.DISK_READ_BYTES.ownLabels());
        assertEquals(Set.of("reason"), Metric.INTERFACE_RX_DROPPED.ownLabels());
        assertEquals(Set.of("vm", "kind", "device"), Metric.DEVICE_RESTARTS.ownLabels());
    }

    @Test
    void acceptableChecksSourceShapeAndLabels() {
        Metric.Source blk = Metric.Source.VIOBLK;
        assertTrue(Metric.acceptable(Metric.DISK_REQUESTS.sample(3, "op", "read"), blk));
        assertTrue(Metric.acceptable(Metric.DISK_REQUEST_DURATION.histogram(List.of(1.0), List.of(1L, 0L), 0.5, "op", "read"), blk));
        assertFalse(Metric.acceptable(Metric.DISK_REQUESTS.sample(3, "op", "read"), Metric.Source.VIONET), "another process's metric");
        assertFalse(Metric.acceptable(Metric.DISK_REQUESTS.sample(3), blk), "a label missing");
        assertFalse(Metric.acceptable(Metric.DISK_REQUESTS.sample(3, "op", "read", "vm", "other"), blk), "naming its VM itself");
        assertFalse(Metric.acceptable(new StatsSample.Value("vmd_disk_request_duration_seconds", StatsSample.labels("op", "read"), 1), blk),
                "a value for a histogram");
        assertFalse(Metric.acceptable(new StatsSample.Value("vmd_unknown_total", List.of(), 1), blk));
        assertThrows(IllegalStateException.class, () -> Metric.DISK_REQUEST_DURATION.sample(1));
        assertThrows(IllegalStateException.class, () -> Metric.DISK_REQUESTS.histogram(List.of(1.0), List.of(0L, 0L), 0));
    }
}

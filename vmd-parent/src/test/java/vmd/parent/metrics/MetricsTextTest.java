package vmd.parent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;
import vmd.testing.Prerequisites;

/** The text exposition format, and Python's prometheus_client parser reading it back. */
class MetricsTextTest {
    private static final List<Double> BOUNDS = List.of(0.00005, 0.001, 1.0);

    @Test
    void familiesInCatalogOrderEachWithHelpAndType() {
        String text = PrometheusText.render(List.of(
                Metric.DISK_READ_BYTES.sample(4096, "vm", "a", "disk", "disk0"),
                Metric.VM_STATE.sample(1, "vm", "a", "state", "running"),
                Metric.VM_STATE.sample(0, "vm", "a", "state", "paused"),
                Metric.VM_GUEST_MEMORY.sample(64L << 20, "vm", "a")));
        assertEquals("""
                # HELP vmd_vm_state 1 for the state the VM is in, 0 for the others (one series per state, as vmctl status names them)
                # TYPE vmd_vm_state gauge
                vmd_vm_state{vm="a",state="running"} 1
                vmd_vm_state{vm="a",state="paused"} 0
                # HELP vmd_vm_guest_memory_bytes Size of the guest's RAM
                # TYPE vmd_vm_guest_memory_bytes gauge
                vmd_vm_guest_memory_bytes{vm="a"} 67108864
                # HELP vmd_disk_read_bytes_total Bytes read from the disk into the guest
                # TYPE vmd_disk_read_bytes_total counter
                vmd_disk_read_bytes_total{vm="a",disk="disk0"} 4096
                """, text);
    }

    @Test
    void aHistogramIsCumulativeAndEndsWithInf() {
        String text = PrometheusText.render(List.of(Metric.DISK_REQUEST_DURATION.histogram(BOUNDS, List.of(3L, 0L, 7L, 2L), 0.125,
                "vm", "a", "disk", "disk0", "op", "read")));
        assertTrue(text.endsWith("""
                # TYPE vmd_disk_request_duration_seconds histogram
                vmd_disk_request_duration_seconds_bucket{vm="a",disk="disk0",op="read",le="0.00005"} 3
                vmd_disk_request_duration_seconds_bucket{vm="a",disk="disk0",op="read",le="0.001"} 3
                vmd_disk_request_duration_seconds_bucket{vm="a",disk="disk0",op="read",le="1"} 10
                vmd_disk_request_duration_seconds_bucket{vm="a",disk="disk0",op="read",le="+Inf"} 12
                vmd_disk_request_duration_seconds_sum{vm="a",disk="disk0",op="read"} 0.125
                vmd_disk_request_duration_seconds_count{vm="a",disk="disk0",op="read"} 12
                """), text);
    }

    @Test
    void labelValuesAreEscaped() {
        String text = PrometheusText.render(List.of(Metric.VM_STATE.sample(1, "vm", "we\"ird\\na\nme", "state", "running")));
        assertTrue(text.contains("vmd_vm_state{vm=\"we\\\"ird\\\\na\\nme\",state=\"running\"} 1\n"), text);
        assertEquals("a\\\\b\\nc", PrometheusText.escapeHelp("a\\b\nc"));
    }

    @Test
    void unknownNamesWrongShapesAndRepeatedSeriesAreLeftOut() {
        String text = PrometheusText.render(List.of(
                new StatsSample.Value("vmd_not_a_metric", List.of(), 1),
                new StatsSample.Value("vmd_disk_request_duration_seconds", List.of(), 1),
                Metric.VM_VCPUS.sample(2, "vm", "a"),
                new StatsSample.Value("vmd_vm_vcpus", StatsSample.labels("vm", "a"), 3)));
        assertEquals("# HELP vmd_vm_vcpus vCPUs of the VM\n# TYPE vmd_vm_vcpus gauge\nvmd_vm_vcpus{vm=\"a\"} 2\n", text);
        assertEquals("", PrometheusText.render(List.of()));
    }

    @Test
    void numbersAsTheFormatSpellsThem() {
        assertEquals("0", PrometheusText.number(0));
        assertEquals("12345678901234", PrometheusText.number(12345678901234.0));
        assertEquals("0.5", PrometheusText.number(0.5));
        assertEquals("1.0E-4", PrometheusText.number(0.0001));
        assertEquals("NaN", PrometheusText.number(Double.NaN));
        assertEquals("+Inf", PrometheusText.number(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", PrometheusText.number(Double.NEGATIVE_INFINITY));
        assertEquals("0.00025", PrometheusText.bound(0.00025));
        assertEquals("2.5", PrometheusText.bound(2.5));
    }

    /** Everything above, read back by the reference parser of the format (prometheus_client). */
    @Test
    void prometheusClientParsesItBack() throws Exception {
        Prerequisites.requireTool("/usr/bin/python3");
        String text = PrometheusText.render(List.of(
                Metric.VM_STATE.sample(1, "vm", "we\"ird\\na\nme", "state", "running"),
                Metric.VCPU_EXITS.sample(1e18, "vm", "a", "reason", "io"),
                Metric.SCRAPE_UNANSWERED.sample(0),
                Metric.DISK_REQUEST_DURATION.histogram(BOUNDS, List.of(3L, 0L, 7L, 2L), 0.125, "vm", "a", "disk", "disk0", "op", "read")));
        String script = """
                import sys
                from prometheus_client.parser import text_string_to_metric_families
                for f in text_string_to_metric_families(sys.stdin.read()):
                    for s in f.samples:
                        print(f.type, s.name, sorted(s.labels.items()), s.value)
                """;
        String parsed = python(script, text);
        assertTrue(parsed.contains("gauge vmd_vm_state [('state', 'running'), ('vm', 'we\"ird\\\\na\\nme')] 1.0"), parsed);
        assertTrue(parsed.contains("counter vmd_vcpu_exits_total [('reason', 'io'), ('vm', 'a')] 1e+18"), parsed);
        assertTrue(parsed.contains("histogram vmd_disk_request_duration_seconds_bucket [('disk', 'disk0'), ('le', '+Inf'), ('op', 'read'), ('vm', 'a')] 12.0"), parsed);
        assertTrue(parsed.contains("histogram vmd_disk_request_duration_seconds_count [('disk', 'disk0'), ('op', 'read'), ('vm', 'a')] 12.0"), parsed);
        assertTrue(parsed.contains("gauge vmd_scrape_unanswered_processes [] 0.0"), parsed);
    }

    /** Runs a Python script with {@code input} on stdin; fails with its output unless it exits 0. */
    static String python(String script, String input) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python hangs");
        Prerequisites.require(!out.contains("No module named 'prometheus_client'"),
                "python3-prometheus-client (scripts/setup-debian.sh installs it)");
        assertEquals(0, p.exitValue(), out + "\nfor:\n" + input);
        return out;
    }
}

package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vmd.parent.config.TestSupport.assertErrors;
import static vmd.parent.config.TestSupport.ok;
import static vmd.parent.config.TestSupport.parse;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code metrics socket} and {@code metrics listen}: off by default, local only. */
class MetricsConfigTest {
    @Test
    void offUnlessSaid() {
        assertEquals(MetricsConfig.OFF, ok("").metrics());
        assertFalse(ok("").metrics().enabled());
    }

    @Test
    void aSocketAndALoopbackPortEitherOrBoth() {
        MetricsConfig s = ok("metrics socket \"/var/run/vmd.metrics.sock\"\n").metrics();
        assertEquals("/var/run/vmd.metrics.sock", s.socket());
        assertEquals(null, s.listen());
        assertTrue(s.enabled());
        MetricsConfig both = ok("""
                metrics listen 127.0.0.1 port 9100
                metrics socket "/run/vmd." "metrics.sock"
                """).metrics();
        assertEquals(new MetricsConfig("/run/vmd.metrics.sock", "127.0.0.1", 9100), both);
        assertEquals("127.0.0.1:9100", both.listen());
        assertEquals("127.0.0.2:1", ok("metrics listen \"127.000.0.2\" port 1\n").metrics().listen(), "normalized");
        assertEquals("127.0.0.1:65535", ok("metrics listen localhost port 65535\n").metrics().listen());
        assertEquals("127.0.0.1:9100", ok("p = \"9100\"\nmetrics listen 127.0.0.1 port $p\n").metrics().listen(), "a macro for the port");
    }

    @Test
    void onlyALoopbackAddressIsAccepted() {
        assertErrors("metrics listen 0.0.0.0 port 9100\n", "vm.conf:1: metrics listen 0.0.0.0: not a loopback address"
                + " (metrics are served to the local host only: use 127.0.0.1, or a metrics socket)");
        assertErrors("metrics listen 192.168.1.10 port 9100\n", "vm.conf:1: metrics listen 192.168.1.10: not a loopback address"
                + " (metrics are served to the local host only: use 127.0.0.1, or a metrics socket)");
        assertErrors("metrics listen \"::1\" port 9100\n",
                "vm.conf:1: metrics listen ::1: only IPv4 loopback addresses (127.0.0.0/8) are supported");
        assertErrors("metrics listen example.org port 9100\n", "vm.conf:1: metrics listen example.org: not an IPv4 address");
        assertErrors("metrics listen 127.0.0.256 port 9100\n", "vm.conf:1: metrics listen 127.0.0.256: not an IPv4 address");
        assertErrors("metrics listen 127.1 port 9100\n", "vm.conf:1: metrics listen 127.1: not an IPv4 address");
    }

    @Test
    void badValuesAndRepeatsAreErrorsAtTheirLine() {
        assertErrors("metrics listen 127.0.0.1 port 0\n", "vm.conf:1: metrics listen: invalid port 0");
        assertErrors("metrics listen 127.0.0.1 port 65536\n", "vm.conf:1: metrics listen: invalid port 65536");
        assertErrors("metrics socket \"relative.sock\"\n", "vm.conf:1: metrics socket path is not absolute: relative.sock");
        assertErrors("metrics socket \"/" + "a".repeat(107) + "\"\n", "vm.conf:1: metrics socket path too long");
        assertErrors("metrics socket \"/a\"\n\nmetrics socket \"/b\"\n", "vm.conf:3: metrics socket specified more than once");
        assertErrors("metrics listen 127.0.0.1 port 1\nmetrics listen 127.0.0.1 port 2\n",
                "vm.conf:2: metrics listen specified more than once");
    }

    @Test
    void incompleteStatementsAreSyntaxErrors() {
        for (String bad : List.of("metrics\n", "metrics socket\n", "metrics listen\n", "metrics listen 127.0.0.1\n",
                "metrics listen 127.0.0.1 9100\n", "metrics listen 127.0.0.1 port\n", "metrics port 9100\n",
                "metrics socket \"/a\" 5\n", "metrics listen 127.0.0.1 port 9100 5\n")) {
            assertErrors(bad, "vm.conf:1: syntax error");
        }
    }

    @Test
    void theWordsRemainUsableAsMacroNamesAndValues() {
        ParseResult r = parse("metrics = \"/m\"\nlisten = \"/l\"\nport = \"/p\"\nvm \"metrics\" {\n disk $listen\n disk $port\n cdrom $metrics\n}\n");
        assertEquals(List.of(), r.messages());
        assertEquals("metrics", r.config().vms().get(0).name());
        assertEquals(MetricsConfig.OFF, r.config().metrics());
    }
}

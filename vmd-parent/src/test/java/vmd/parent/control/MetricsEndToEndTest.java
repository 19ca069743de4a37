package vmd.parent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.metrics.Metric;
import vmd.parent.metrics.RawHttp;
import vmd.parent.vms.VmFixture;
import vmd.testing.Prerequisites;

/**
 * The metrics endpoint of a real vmd, scraped over its Unix socket and its loopback port
 * and read by the reference parser of the format, Python's prometheus_client. The daemon
 * runs in a network namespace of the test's own with one VM (the test guest, one disk,
 * one local interface) that runs its blk and net scenarios; the figures must show what the
 * guest did, a killed vioblk must show as a restart, garbage on the socket gets 400 and
 * harms nothing, and a reload moves the socket.
 */
class MetricsEndToEndTest {
    private static final int PORT = 9100;
    /** Prints every sample as "type TAB name TAB k=v,... TAB value"; with an argument, fetches it over TCP first. */
    private static final String PARSE = """
            import sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            if len(sys.argv) > 1:
                with urllib.request.urlopen(sys.argv[1], timeout=60) as r:
                    if r.status != 200 or not r.headers["Content-Type"].startswith("text/plain; version=0.0.4"):
                        sys.exit("bad answer: %s %s" % (r.status, r.headers["Content-Type"]))
                    text = r.read().decode("utf-8")
            else:
                text = sys.stdin.read()
            for f in text_string_to_metric_families(text):
                for s in f.samples:
                    print(f.type, s.name, ",".join(k + "=" + v for k, v in sorted(s.labels.items())), repr(float(s.value)), sep="\\t")
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void prerequisites() throws Exception {
        Prerequisites.requireKvm();
        Prerequisites.requireChildUser();
        Prerequisites.require(Files.isReadable(VmFixture.TEST_GUEST), VmFixture.TEST_GUEST.toString());
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        Prerequisites.requireTool("/usr/bin/python3");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import prometheus_client.parser").redirectErrorStream(true).start();
        Prerequisites.require(p.waitFor() == 0, "python3-prometheus-client (scripts/setup-debian.sh installs it)");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String config(Path disk, Path metricsSocket) {
        return "user " + Prerequisites.childUser() + "\n"
                + "metrics socket \"" + metricsSocket + "\"\n"
                + "metrics listen 127.0.0.1 port " + PORT + "\n"
                + "vm \"m\" {\n  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory 64M\n  disk \"" + disk + "\"\n"
                + "  local interface\n  cmdline \"console=ttyS0 vmdtest=blk,net\"\n}\n";
    }

    /** One scrape as the parser read it: value by "name{k=v,...}" (labels sorted), type by name. */
    record Scrape(String text, Map<String, Double> values, Map<String, String> types) {
        double value(String name, String labels) {
            Double v = values.get(name + "{" + labels + "}");
            if (v == null) throw new AssertionError("no sample " + name + "{" + labels + "} in:\n" + text);
            return v;
        }

        /** The sum over every series of {@code name} whose labels contain all of {@code having}. */
        double sum(String name, String... having) {
            double total = 0;
            for (Map.Entry<String, Double> e : values.entrySet()) {
                if (!e.getKey().startsWith(name + "{")) continue;
                Set<String> labels = Set.of(e.getKey().substring(name.length() + 1, e.getKey().length() - 1).split(","));
                if (labels.containsAll(List.of(having))) total += e.getValue();
            }
            return total;
        }

        static Scrape parse(String text, String parserOutput) {
            Map<String, Double> values = new TreeMap<>();
            Map<String, String> types = new HashMap<>();
            for (String line : parserOutput.split("\n")) {
                if (line.isBlank()) continue;
                String[] f = line.split("\t", -1);
                if (f.length != 4) throw new AssertionError("parser said: " + parserOutput);
                types.put(f[1], f[0]);
                values.put(f[1] + "{" + f[2] + "}", Double.parseDouble(f[3]));
            }
            return new Scrape(text, values, types);
        }
    }

    private static String python(List<String> prefix, String input, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(prefix);
        argv.addAll(List.of("/usr/bin/python3", "-c", PARSE));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the parser hangs");
        assertEquals(0, p.exitValue(), "prometheus_client refused it:\n" + out + "\n---\n" + input);
        return out;
    }

    /** GET /metrics on the Unix socket, parsed; again while some process did not answer in time (a loaded machine). */
    private static Scrape scrapeUnix(Path socket) throws Exception {
        Scrape s = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try (RawHttp c = RawHttp.unix(socket)) {
                RawHttp.Response r = c.send(RawHttp.get("/metrics")).read();
                assertEquals(200, r.status(), r.body());
                assertEquals("text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"));
                s = Scrape.parse(r.body(), python(List.of(), r.body()));
            }
            if (s.value("vmd_scrape_unanswered_processes", "") == 0) return s;
        }
        throw new AssertionError("some process never answered a scrape:\n" + s.text());
    }

    @Test
    void aRealDaemonIsScrapedAndThePrometheusParserReadsWhatTheGuestDid() throws Exception {
        String ns = "vmdtest-metrics-" + ProcessHandle.current().pid();
        List<String> inNs = List.of("/usr/sbin/ip", "netns", "exec", ns);
        Path disk = dir.resolve("m.raw");
        Files.write(disk, new byte[4 << 20]);
        Path socket = dir.resolve("metrics.sock");
        assertEquals(0, new ProcessBuilder("/usr/sbin/ip", "netns", "add", ns).inheritIO().start().waitFor());
        try (VmdDaemon vmd = new VmdDaemon(dir, inNs)) {
            new ProcessBuilder("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up").inheritIO().start().waitFor();
            vmd.start(config(disk, socket), "m: started vm");
            StringBuffer console = new StringBuffer();
            try (InputStream in = Files.newInputStream(Path.of(vmd.tty("m"))); OutputStream keys = Files.newOutputStream(Path.of(vmd.tty("m")))) {
                VmdDaemon.pump(in, console);
                VmdDaemon.awaitText(console, "VMDTEST OK blk", 0, "VMDTEST FAIL blk");
                VmdDaemon.awaitText(console, "VMDTEST OK net", 0, "VMDTEST FAIL net");

                Scrape s = scrapeUnix(socket);
                for (Metric m : Metric.values()) {
                    String sample = m.metricName() + (m.type() == Metric.Type.HISTOGRAM ? "_count" : "");
                    assertTrue(s.values().keySet().stream().anyMatch(k -> k.startsWith(sample + "{")), m.metricName() + " is scraped:\n" + s.text());
                    assertEquals(m.type().text(), s.types().get(sample), "the parser's type of " + sample);
                }
                assertEquals(1, s.value("vmd_vm_state", "state=running,vm=m"));
                assertEquals(0, s.value("vmd_vm_state", "state=stopped,vm=m"));
                assertEquals(64 << 20, s.value("vmd_vm_guest_memory_bytes", "vm=m"));
                assertTrue(s.value("vmd_vcpu_exits_total", "reason=io,vm=m") > 0, "the console is port I/O");
                String d = "disk=disk0,vm=m";
                assertTrue(s.value("vmd_disk_requests_total", "disk=disk0,op=read,vm=m") > 0);
                assertTrue(s.value("vmd_disk_requests_total", "disk=disk0,op=write,vm=m") > 0);
                assertTrue(s.value("vmd_disk_requests_total", "disk=disk0,op=flush,vm=m") > 0);
                assertTrue(s.value("vmd_disk_read_bytes_total", d) > 0);
                assertTrue(s.value("vmd_disk_written_bytes_total", d) > 0);
                for (String op : List.of("read", "write", "flush", "get_id", "discard", "write_zeroes", "unsupported")) {
                    String l = "disk=disk0,op=" + op + ",vm=m";
                    assertEquals(s.value("vmd_disk_requests_total", l), s.value("vmd_disk_request_duration_seconds_count", l), op);
                    assertEquals(s.value("vmd_disk_requests_total", l), s.value("vmd_disk_request_duration_seconds_bucket",
                            "disk=disk0,le=+Inf,op=" + op + ",vm=m"), op + ": +Inf holds every request");
                }
                assertTrue(s.value("vmd_interface_rx_packets_total", "interface=net0,vm=m") > 0, "DHCP, ARP and ping replies");
                assertTrue(s.value("vmd_interface_tx_packets_total", "interface=net0,vm=m") > 0);
                assertTrue(s.value("vmd_interface_tx_bytes_total", "interface=net0,vm=m") > 0);
                for (String kind : List.of("parent", "control", "vm", "vioblk", "vionet")) {
                    assertTrue(s.sum("vmd_process_resident_memory_bytes", "kind=" + kind) > 0, kind + " RSS:\n" + s.text());
                }
                assertEquals(0, s.value("vmd_device_restarts_total", "device=disk0,kind=vioblk,vm=m"));

                // the loopback port, inside the daemon's namespace, fetched and parsed by Python
                Scrape tcp = Scrape.parse("", python(inNs, "", "http://127.0.0.1:" + PORT + "/metrics"));
                assertEquals(1, tcp.value("vmd_vm_state", "state=running,vm=m"));
                assertTrue(tcp.value("vmd_disk_requests_total", "disk=disk0,op=read,vm=m") > 0);

                // garbage on the socket: 400, and nothing else happens
                try (RawHttp c = RawHttp.unix(socket)) {
                    assertEquals(400, c.send("\u0000\u0001garbage\r\n\r\n").read().status());
                    assertTrue(c.closedByServer());
                }
                try (RawHttp c = RawHttp.unix(socket)) {
                    assertEquals(404, c.send(RawHttp.get("/")).read().status());
                    assertEquals(405, c.send("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
                }

                // a killed vioblk is restarted, counted, and the guest's disk works through the new one
                long oldVioblk = vmd.children().get("vioblk m/disk0");
                assertEquals(0, new ProcessBuilder("kill", "-KILL", Long.toString(oldVioblk)).start().waitFor());
                vmd.awaitLog("vioblk m/disk0 killed by signal 9; restarted", Duration.ofSeconds(60));
                int mark = console.length();
                keys.write("blk\r".getBytes(StandardCharsets.US_ASCII));
                keys.flush();
                VmdDaemon.awaitText(console, "VMDTEST OK blk", mark, "VMDTEST FAIL blk");
                Scrape after = scrapeUnix(socket);
                assertEquals(1, after.value("vmd_device_restarts_total", "device=disk0,kind=vioblk,vm=m"));
                assertEquals(0, after.value("vmd_device_restarts_total", "device=net0,kind=vionet,vm=m"));
                assertNotEquals(oldVioblk, (long) vmd.children().get("vioblk m/disk0"));
                assertTrue(after.value("vmd_disk_requests_total", "disk=disk0,op=read,vm=m") > 0, "the new process counts");
                assertTrue(after.sum("vmd_process_resident_memory_bytes", "kind=vioblk") > 0);
                assertEquals(1, after.value("vmd_vm_state", "state=running,vm=m"), "the VM runs on");
                assertTrue(vmd.handle().isAlive());
                summary(s, after);

                // vmctl reload moves the socket
                Path moved = dir.resolve("moved.sock");
                vmd.rewrite(config(disk, moved));
                VmdDaemon.Result reload = VmdDaemon.finish(vmd.vmctl(List.of(), "reload"));
                assertEquals(0, reload.rc(), reload.err() + vmd.log());
                assertEquals(1, scrapeUnix(moved).value("vmd_vm_state", "state=running,vm=m"));
                assertFalse(Files.exists(socket), "the old socket is gone");
                assertEquals(1, Scrape.parse("", python(inNs, "", "http://127.0.0.1:" + PORT + "/metrics"))
                        .value("vmd_vm_state", "state=running,vm=m"), "the unchanged port still serves");
            }
            VmdDaemon.finish(vmd.vmctl(List.of(), "stop", "-f", "-w", "m"));
        } finally {
            new ProcessBuilder("/usr/sbin/ip", "netns", "del", ns).inheritIO().start().waitFor();
        }
    }

    /** What a reader of the CI log wants to see of the scrapes. */
    private static void summary(Scrape s, Scrape after) {
        String d = "disk=disk0,op=%s,vm=m";
        System.out.printf("metrics: %d bytes, %d series; vm m running, exits io %.0f mmio %.0f hlt %.0f other %.0f%n",
                s.text().length(), s.values().size(), s.value("vmd_vcpu_exits_total", "reason=io,vm=m"),
                s.value("vmd_vcpu_exits_total", "reason=mmio,vm=m"), s.value("vmd_vcpu_exits_total", "reason=hlt,vm=m"),
                s.value("vmd_vcpu_exits_total", "reason=other,vm=m"));
        System.out.printf("metrics: disk0 requests read %.0f write %.0f flush %.0f get_id %.0f, %.0f bytes read, %.0f written,"
                        + " %.3f ms per request, errors %.0f%n",
                s.value("vmd_disk_requests_total", d.formatted("read")), s.value("vmd_disk_requests_total", d.formatted("write")),
                s.value("vmd_disk_requests_total", d.formatted("flush")), s.value("vmd_disk_requests_total", d.formatted("get_id")),
                s.value("vmd_disk_read_bytes_total", "disk=disk0,vm=m"), s.value("vmd_disk_written_bytes_total", "disk=disk0,vm=m"),
                1000 * s.sum("vmd_disk_request_duration_seconds_sum") / s.sum("vmd_disk_request_duration_seconds_count"),
                s.sum("vmd_disk_errors_total"));
        System.out.printf("metrics: net0 rx %.0f packets %.0f bytes, tx %.0f packets %.0f bytes, dropped rx %.0f tx %.0f%n",
                s.value("vmd_interface_rx_packets_total", "interface=net0,vm=m"), s.value("vmd_interface_rx_bytes_total", "interface=net0,vm=m"),
                s.value("vmd_interface_tx_packets_total", "interface=net0,vm=m"), s.value("vmd_interface_tx_bytes_total", "interface=net0,vm=m"),
                s.sum("vmd_interface_rx_dropped_total"), s.sum("vmd_interface_tx_dropped_total"));
        StringBuilder rss = new StringBuilder("metrics: RSS");
        for (String kind : List.of("parent", "control", "vm", "vioblk", "vionet")) {
            rss.append(String.format(" %s %.0f MiB", kind, s.sum("vmd_process_resident_memory_bytes", "kind=" + kind) / (1 << 20)));
        }
        System.out.println(rss.append(String.format(", guest resident %.0f MiB", s.value("vmd_vm_guest_memory_resident_bytes", "vm=m") / (1 << 20))));
        System.out.printf("metrics: after SIGKILL of vioblk: restarts disk0 %.0f -> %.0f, the new process served %.0f reads%n",
                s.value("vmd_device_restarts_total", "device=disk0,kind=vioblk,vm=m"),
                after.value("vmd_device_restarts_total", "device=disk0,kind=vioblk,vm=m"),
                after.value("vmd_disk_requests_total", d.formatted("read")));
    }
}

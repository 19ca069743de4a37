package vmd.parent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.StatsSamples;
import vmd.metrics.Metric;
import vmd.parent.config.MetricsConfig;
import vmd.parent.config.Owner;
import vmd.sys.Fds;

/**
 * The metrics HTTP server in-process, on listening sockets bound by {@link MetricsListeners}
 * as the parent binds them, in front of a stand-in parent that answers every scrape.
 */
@Timeout(60)
class MetricsServerTest {
    @TempDir
    Path dir;
    private final MetricsListeners listeners = new MetricsListeners();
    private final AtomicInteger scrapes = new AtomicInteger();
    private final AtomicBoolean parentAnswers = new AtomicBoolean(true);
    private Scrapes upstream;
    private MetricsServer server;
    private final Owner me = new Owner((int) new com.sun.security.auth.module.UnixSystem().getUid(), null,
            (int) new com.sun.security.auth.module.UnixSystem().getGid(), null);

    /** Binds the socket (and a loopback port if {@code tcp}) and serves them; returns the port or 0. */
    private int start(boolean tcp) throws IOException {
        upstream = new Scrapes(req -> {
            scrapes.incrementAndGet();
            if (!parentAnswers.get()) return;
            upstream.deliver(Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of(
                    Metric.VM_STATE.sample(1, "vm", "a", "state", "running")))).withPeerId(req.peerId()));
            upstream.deliver(Imsg.of(ImsgType.STATS_END).withPeerId(req.peerId()));
        }, 300);
        server = new MetricsServer(upstream);
        int port = 0;
        for (int attempt = 0; ; attempt++) {
            port = tcp ? 20000 + (int) (Math.random() * 40000) : 0;
            try {
                listeners.apply(new MetricsConfig(dir.resolve("metrics.sock").toString(), tcp ? "127.0.0.1" : null, port), me);
                break;
            } catch (IOException e) {
                if (attempt > 20 || !e.getMessage().contains("in use")) throw e;
            }
        }
        for (MetricsListeners.Endpoint e : listeners.endpoints()) server.serve(Fds.dup(e.fd()), e.label());
        return port;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        listeners.close();
    }

    @Test
    void getMetricsOverTheUnixSocketAndKeepAlive() throws Exception {
        start(false);
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("metrics.sock"))));
        try (RawHttp c = RawHttp.unix(dir.resolve("metrics.sock"))) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response r = c.send(RawHttp.get("/metrics")).read();
                assertEquals(200, r.status());
                assertEquals("text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"));
                assertTrue(r.body().contains("vmd_vm_state{vm=\"a\",state=\"running\"} 1\n"), r.body());
            }
            // pipelined: both answered, in order
            c.send(RawHttp.get("/metrics?x=1") + RawHttp.get("/nope"));
            assertEquals(200, c.read().status());
            assertEquals(404, c.read().status());
        }
    }

    @Test
    void loopbackTcpToo() throws Exception {
        int port = start(true);
        try (RawHttp c = RawHttp.tcp("127.0.0.1", port)) {
            RawHttp.Response r = c.send(RawHttp.get("/metrics")).read();
            assertEquals(200, r.status());
            assertTrue(r.body().startsWith("# HELP vmd_vm_state "), r.body());
        }
    }

    @Test
    void otherPathsMethodsAndHead() throws Exception {
        start(false);
        try (RawHttp c = RawHttp.unix(dir.resolve("metrics.sock"))) {
            assertEquals(404, c.send(RawHttp.get("/")).read().status());
            RawHttp.Response post = c.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab").read();
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.header("Allow"));
            RawHttp.Response head = c.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
            assertEquals(200, head.status());
            assertTrue(Integer.parseInt(head.header("Content-Length")) > 0);
            assertEquals(200, c.send(RawHttp.get("/metrics")).read().status(), "the HEAD sent no body to confuse this");
        }
        try (RawHttp old = RawHttp.unix(dir.resolve("metrics.sock"))) {
            RawHttp.Response r = old.send("GET /metrics HTTP/1.0\r\n\r\n").read();
            assertEquals(200, r.status());
            assertTrue(old.closedByServer(), "HTTP/1.0 without keep-alive: closed after the answer");
        }
    }

    @Test
    void garbageGets400AndTheNextClientIsServed() throws Exception {
        start(false);
        for (String garbage : List.of("\u0000\u0001\u00ff garbage\r\n\r\n", "GET\r\n\r\n", "GET /metrics HTTP/1.1 x\r\n\r\n",
                "GET /metrics HTTP/1.1\r\n" + "X: " + "y".repeat(20_000) + "\r\n\r\n")) {
            try (RawHttp c = RawHttp.unix(dir.resolve("metrics.sock"))) {
                RawHttp.Response r = c.send(garbage).read();
                assertEquals(400, r.status(), garbage.substring(0, Math.min(20, garbage.length())));
                assertTrue(c.closedByServer());
            }
        }
        try (RawHttp c = RawHttp.unix(dir.resolve("metrics.sock"))) {
            RawHttp.Response r = c.send("GET /metrics HTTP/9.9\r\n\r\n").read();
            assertEquals(505, r.status());
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = RawHttp.unix(dir.resolve("metrics.sock"))) {
            assertEquals(200, c.send(RawHttp.get("/metrics")).read().status());
        }
    }

    @Test
    void aParentThatDoesNotAnswerIs503AndTheNextScrapeAsksAgain() throws Exception {
        start(false);
        parentAnswers.set(false);
        try (RawHttp c = RawHttp.unix(dir.resolve("metrics.sock"))) {
            assertEquals(503, c.send(RawHttp.get("/metrics")).read().status());
            parentAnswers.set(true);
            assertEquals(200, c.send(RawHttp.get("/metrics")).read().status());
        }
        assertEquals(2, scrapes.get());
    }

    @Test
    void listenersFollowTheConfiguration() throws Exception {
        start(false);
        Path sock = dir.resolve("metrics.sock");
        assertFalse(listeners.apply(new MetricsConfig(sock.toString(), null, 0), me), "unchanged");
        Path other = dir.resolve("other.sock");
        assertTrue(listeners.apply(new MetricsConfig(other.toString(), null, 0), me));
        assertFalse(Files.exists(sock), "the old socket is removed");
        assertTrue(Files.exists(other));
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            IOException e = assertThrows(IOException.class,
                    () -> listeners.apply(new MetricsConfig(other.toString(), "127.0.0.1", port), me));
            assertEquals("metrics listen 127.0.0.1:" + port + ": bind 127.0.0.1:" + port + ": EADDRINUSE (Address already in use)",
                    e.getMessage());
        }
        assertEquals(List.of("unix:" + other), listeners.endpoints().stream().map(MetricsListeners.Endpoint::label).toList(),
                "a failed bind changes nothing");
        assertTrue(listeners.apply(MetricsConfig.OFF, me));
        assertEquals(List.of(), listeners.endpoints());
        assertFalse(Files.exists(other));
    }
}

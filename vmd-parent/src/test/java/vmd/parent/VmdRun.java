package vmd.parent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import vmd.testing.TestClasspath;

/**
 * vmd run as a process of its own, as a user runs it: {@code java ... vmd.parent.VmdMain
 * ARGS} on a class path its unprivileged children can read, stdout and stderr together.
 */
final class VmdRun {
    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Thread pump;

    private VmdRun(Process process) {
        this.process = process;
        this.pump = new Thread(() -> {
            byte[] b = new byte[4096];
            try (InputStream in = process.getInputStream()) {
                for (int n; (n = in.read(b)) > 0; ) output.append(new String(b, 0, n, StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended
            }
        }, "vmd-output");
        pump.setDaemon(true);
        pump.start();
    }

    static VmdRun start(String... args) throws IOException {
        List<String> argv = new ArrayList<>(vmd.testing.TestClasspath.javaCommand(VmdMain.class.getName()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        return new VmdRun(p);
    }

    /** Runs vmd to its end; fails if it takes longer than {@code timeout}. */
    static VmdRun run(Duration timeout, String... args) throws Exception {
        VmdRun r = start(args);
        r.awaitExit(timeout);
        return r;
    }

    void awaitExit(Duration timeout) throws InterruptedException {
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) process.destroyForcibly();
        assertTrue(ended, "vmd did not exit within " + timeout + ":\n" + output);
        pump.join(10_000);
    }

    int status() {
        return process.exitValue();
    }

    String output() {
        return output.toString();
    }

    /** The output's lines, without the JVM's and Logback's own notices. */
    List<String> lines() {
        return output.toString().lines().filter(l -> !l.startsWith("OpenJDK") && !l.startsWith("WARNING:")).toList();
    }

    /** Waits until the output contains {@code text}. */
    void awaitOutput(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!output.toString().contains(text)) {
            assertTrue(process.isAlive() || output.toString().contains(text), "vmd ended before \"" + text + "\":\n" + output);
            assertTrue(System.nanoTime() < deadline, "vmd never printed \"" + text + "\":\n" + output);
            Thread.sleep(50);
        }
    }

    /** SIGTERM, as an rc script stops vmd; then waits for it. */
    void stop(Duration timeout) throws InterruptedException {
        process.toHandle().destroy();
        awaitExit(timeout);
    }

    boolean alive() {
        return process.isAlive();
    }
}

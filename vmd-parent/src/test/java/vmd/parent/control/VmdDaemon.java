package vmd.parent.control;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import vmd.testing.TestClasspath;

/**
 * One real vmd for a test: its vm.conf and control socket in {@code dir}, run under an
 * optional prefix ({@code ip netns exec NS}), its log collected; vmctl against it.
 */
final class VmdDaemon implements AutoCloseable {
    private final Path conf, sock;
    private final List<String> prefix;
    private final StringBuffer log = new StringBuffer();
    private Process vmd;

    VmdDaemon(Path dir, List<String> prefix) {
        this.conf = dir.resolve("vm.conf");
        this.sock = dir.resolve("vmd.sock");
        this.prefix = prefix;
    }

    static List<String> java(String mainClass) {
        return TestClasspath.javaCommand(mainClass);
    }

    void start(String config, String awaitLine) throws Exception {
        Files.writeString(conf, config);
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(java("vmd.parent.VmdMain"));
        argv.addAll(List.of("-d", "-f", conf.toString(), "-s", sock.toString()));
        vmd = new ProcessBuilder(argv).redirectErrorStream(true).start();
        pump(vmd.getInputStream(), log);
        awaitLog(awaitLine, Duration.ofSeconds(60));
    }

    String log() {
        return log.toString();
    }

    /** The vmd process. */
    ProcessHandle handle() {
        return vmd.toHandle();
    }

    /** Replaces vm.conf (for vmctl reload). */
    void rewrite(String config) throws IOException {
        Files.writeString(conf, config);
    }

    /** vmd's children by their vmd.process name ("control", "vm NAME", "vioblk NAME/disk0", ...). */
    java.util.Map<String, Long> children() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("-Dvmd\\.process=(\\S+(?: \\S+)?) -");
        vmd.toHandle().descendants().forEach(p -> {
            String cmd = p.info().commandLine().orElse("");
            java.util.regex.Matcher m = name.matcher(cmd);
            if (m.find() && !cmd.startsWith("/usr/bin/setpriv")) out.put(m.group(1), p.pid());
        });
        return out;
    }

    /** The console of a running VM, from vmctl status ("/dev/pts/3"). */
    String tty(String vm) throws Exception {
        Result status = finish(vmctl(List.of(), "status", vm));
        if (status.rc() != 0) throw new AssertionError("vmctl status " + vm + ": " + status.err());
        return status.out().replaceAll("(?s).*(pts/[0-9]+).*", "/dev/$1").trim();
    }

    /** Waits until {@code console} shows {@code text} after {@code from}; fails on {@code failure} or after two minutes. */
    static void awaitText(StringBuffer console, String text, int from, String failure) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (console.indexOf(text, from) < 0) {
            if (System.nanoTime() > deadline || (failure != null && console.indexOf(failure, from) >= 0)) {
                throw new AssertionError("console never showed \"" + text.trim() + "\":\n" + console);
            }
            Thread.sleep(50);
        }
    }

    void awaitLog(String marker, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log.toString().contains(marker)) {
            if (System.nanoTime() > deadline) throw new AssertionError("vmd never logged \"" + marker + "\":\n" + log);
            Thread.sleep(50);
        }
    }

    static Thread pump(InputStream in, StringBuffer into) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try {
                for (int n; (n = in.read(b)) > 0; ) into.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
            } catch (IOException ignored) {
                // process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** vmctl against this daemon, run under {@code under} (e.g. {@code ip netns exec NS}). */
    Process vmctl(List<String> under, String... args) throws IOException {
        List<String> argv = new ArrayList<>(under);
        argv.addAll(java("vmd.vmctl.VmctlMain"));
        argv.addAll(List.of("-s", sock.toString()));
        argv.addAll(List.of(args));
        return new ProcessBuilder(argv).start();
    }

    /** Runs vmctl to its end; returns its exit status and stderr. */
    record Result(int rc, String out, String err) {}

    static Result finish(Process p) throws Exception {
        p.getOutputStream().close();
        StringBuffer out = new StringBuffer(), err = new StringBuffer();
        Thread a = pump(p.getInputStream(), out), b = pump(p.getErrorStream(), err);
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("vmctl hangs");
        }
        a.join(5000);
        b.join(5000);
        return new Result(p.exitValue(), out.toString(), err.toString());
    }

    @Override
    public void close() throws Exception {
        if (vmd != null && vmd.isAlive()) {
            vmd.destroy();
            if (!vmd.waitFor(60, TimeUnit.SECONDS)) vmd.destroyForcibly();
        }
    }
}

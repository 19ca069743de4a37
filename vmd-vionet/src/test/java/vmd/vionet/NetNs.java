package vmd.vionet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace a test creates and deletes: every address a network test uses
 * lives inside one, so nothing touches the host's own networking.
 */
public final class NetNs implements AutoCloseable {
    public static final String IP = "/usr/sbin/ip";
    private final String name;

    private NetNs(String name) {
        this.name = name;
    }

    public static NetNs create(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
        run(IP, "netns", "add", name);
        NetNs ns = new NetNs(name);
        ns.exec(IP, "link", "set", "lo", "up");
        return ns;
    }

    public String name() {
        return name;
    }

    /** Moves a link of the root namespace into this one. */
    public void adopt(String link) {
        run(IP, "link", "set", link, "netns", name);
    }

    /** Runs a command inside the namespace; throws unless it exits 0. Returns its output. */
    public String exec(String... cmd) {
        List<String> full = new ArrayList<>(List.of(IP, "netns", "exec", name));
        full.addAll(List.of(cmd));
        return run(full.toArray(new String[0]));
    }

    /** Starts a command inside the namespace. */
    public Process start(Path log, String... cmd) throws IOException {
        List<String> full = new ArrayList<>(List.of(IP, "netns", "exec", name));
        full.addAll(List.of(cmd));
        return new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    public static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
            }
            if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static boolean available() {
        return Files.isExecutable(Path.of(IP)) && Files.exists(Path.of("/dev/net/tun"));
    }

    @Override
    public void close() {
        try {
            run(IP, "netns", "del", name);
        } catch (IllegalStateException e) {
            System.err.println("netns cleanup: " + e.getMessage());
        }
    }
}

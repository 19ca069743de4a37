package vmd.parent.priv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Link and address configuration through iproute2's {@code ip}, run by the parent (which
 * is root): the few operations vmd needs (alias, up/down, addresses, bridge membership,
 * link groups, VRFs) without a netlink binding.
 */
public final class IpCommand {
    private IpCommand() {}

    static String binary() {
        for (String p : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(p))) return p;
        }
        throw new IllegalStateException("iproute2's ip is not installed");
    }

    /** Runs {@code ip ARGS}; returns its output, throws IllegalStateException with ip's message on failure. */
    public static String run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("ip " + String.join(" ", args) + ": timed out");
            }
            if (p.exitValue() != 0) throw new IllegalStateException("ip " + String.join(" ", args) + ": " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("ip " + String.join(" ", args) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public static boolean linkExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }
}

package vmd.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need root, /dev/kvm, /dev/net/tun or an installed tool skip with the reason
 * printed, except under CI=true, where a missing prerequisite fails the run.
 */
public final class Prerequisites {
    private Prerequisites() {}

    public static boolean ci() {
        return "true".equals(System.getenv("CI"));
    }

    public static void require(boolean present, String what) {
        if (present) return;
        String message = "prerequisite missing: " + what;
        if (ci()) Assertions.fail(message + " (CI=true: a missing prerequisite fails the run)");
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message);
    }

    /**
     * A feature the running kernel was built without (a config option, not a package):
     * nothing a setup script can install, so the test skips with the reason printed even
     * under CI=true. Use only for kernel build options, never for packages or devices.
     */
    public static void requireKernelFeature(boolean present, String what) {
        if (present) return;
        String message = "this kernel lacks " + what;
        System.err.println("SKIPPED: " + message + (ci() ? " (a kernel build option: skipped under CI=true too)" : ""));
        Assumptions.abort(message);
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    public static void requireRoot() {
        require(isRoot(), "root");
    }

    public static void requireKvm() {
        requireRoot();
        require(Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")), "/dev/kvm");
    }

    public static void requireTool(String path) {
        require(Files.isExecutable(Path.of(path)), path + " (install its Debian package)");
    }

    /** The unprivileged user children run as in tests: $VMD_TEST_USER, else _vmd. */
    public static String childUser() {
        String user = System.getenv("VMD_TEST_USER");
        return user != null ? user : "_vmd";
    }

    public static void requireChildUser() {
        requireRoot();
        boolean exists;
        try {
            exists = Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(childUser() + ":"));
        } catch (java.io.IOException e) {
            exists = false;
        }
        require(exists, "user " + childUser() + " (scripts/setup-debian.sh creates it)");
    }
}

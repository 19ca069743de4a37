package vmd.proc;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The jars each kind of child gets: its own module, the shared library and the logging
 * API, and nothing else (no jnr-ffi, no Netty, no Logback in a device process). A shorter class path is less
 * code a compromised child could reach, a smaller AOT cache, and a faster start: every
 * service lookup (logging's providers and configurators) opens every jar on the path.
 *
 * <p>Applies to the distribution's layout (jars named without versions in one lib/);
 * any other class path (a build tree, a test's copy) is passed on whole.
 */
public final class ChildClassPath {
    private static final Set<String> COMMON = Set.of("vmd-common.jar", "slf4j-api.jar", "jnr-constants.jar");
    private static final Map<String, String> OWN = Map.of("vm", "vmd-vm.jar", "vioblk", "vmd-vioblk.jar",
            "vionet", "vmd-vionet.jar");

    private ChildClassPath() {}

    /** The class path for {@code kind} taken from {@code full}; {@code full} itself for kinds that need it all. */
    public static String forKind(String full, String kind) {
        String own = OWN.get(kind);
        if (own == null) return full; // the control process runs parent code: it keeps the whole path
        List<String> kept = new ArrayList<>();
        boolean distribution = false;
        for (String entry : full.split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.equals("vmd-common.jar")) distribution = true;
            if (COMMON.contains(name) || name.equals(own)) kept.add(entry);
        }
        return distribution ? String.join(File.pathSeparator, kept) : full;
    }
}

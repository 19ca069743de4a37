package vmd.proc;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The jars each kind of child gets: the vm, vioblk and vionet processes get the three
 * process modules, the shared library and the logging API, and nothing else (no jnr-ffi,
 * no Netty, no Logback). A shorter class path is less code a compromised child could
 * reach and a faster start: every service lookup (logging's providers and configurators)
 * opens every jar on the path.
 *
 * <p>The three get one class path, not each its own module, because they start from one
 * AOT cache ({@link AotCache#GUEST}), and a cache serves only the class path it was made
 * with: one cache mapped by all of a VM's processes shares its read-only pages between
 * them. The other modules' classes sit unused in a process's jar list; it runs only its
 * own main.
 *
 * <p>Applies to the distribution's layout (jars named without versions in one lib/);
 * any other class path (a build tree, a test's copy) is passed on whole.
 */
public final class ChildClassPath {
    private static final Set<String> COMMON = Set.of("vmd-common.jar", "slf4j-api.jar", "jnr-constants.jar");
    private static final Set<String> GUEST = Set.of("vmd-vm.jar", "vmd-vioblk.jar", "vmd-vionet.jar");

    private ChildClassPath() {}

    /** The class path for {@code kind} taken from {@code full}; {@code full} itself for kinds that need it all. */
    public static String forKind(String full, String kind) {
        if (!AotCache.GUEST_KINDS.contains(kind)) return full; // the control process runs parent code: it keeps the whole path
        List<String> kept = new ArrayList<>();
        boolean distribution = false;
        for (String entry : full.split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.equals("vmd-common.jar")) distribution = true;
            if (COMMON.contains(name) || GUEST.contains(name)) kept.add(entry);
        }
        return distribution ? String.join(File.pathSeparator, kept) : full;
    }
}

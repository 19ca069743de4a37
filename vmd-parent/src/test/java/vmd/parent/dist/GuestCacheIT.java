package vmd.parent.dist;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import vmd.parent.vms.VmFixture;
import vmd.proc.AotCache;
import vmd.proc.ChildClassPath;
import vmd.proc.ChildJvmFlags;
import vmd.testing.Prerequisites;

/**
 * What the built distribution's guest cache ({@code lib/vmd-guest.aot}) holds. Its classes
 * are linked ahead of time, so a JVM that starts from it loads every one of them at start:
 * the list a JVM prints of the classes it loaded from the cache is the cache. A class in it
 * that no vm, vioblk or vionet process runs costs each of them memory at every start.
 */
class GuestCacheIT {
    @Test
    void theGuestCacheHoldsWhatAChildStartsWithAndNotWhatOnlyTheTrainingOrTheParentRuns() throws Exception {
        Path lib = VmFixture.buildRoot().resolve("build/vmd/lib");
        Prerequisites.require(Files.isReadable(lib.resolve("vmd-guest.aot")), lib.resolve("vmd-guest.aot") + " (mvn package)");
        String full;
        try (Stream<Path> jars = Files.list(lib)) {
            full = String.join(File.pathSeparator, jars.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).toList());
        }
        String cp = ChildClassPath.forKind(full, "vioblk");
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        argv.addAll(ChildJvmFlags.of("vioblk"));
        List<String> cache = AotCache.options(cp, "vioblk");
        assertFalse(cache.isEmpty(), "the build's Java made the cache");
        argv.addAll(cache);
        // Any main will do: the classes of the cache are loaded before it runs.
        argv.addAll(List.of("-Xlog:class+load=info:stdout", "-cp", cp, ChildJvmFlags.class.getName(), "vioblk"));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        Set<String> cached = new TreeSet<>();
        out.lines().filter(l -> l.contains("[class,load]") && l.endsWith("source: shared objects file"))
                .forEach(l -> cached.add(l.substring(l.indexOf("] ") + 2, l.indexOf(" source:"))));
        assertTrue(cached.size() > 1000, "classes from the cache: " + cached.size() + "\n" + out);

        // What every child and each device runs on its way to ready (AotTraining.CHILD_START_CLASSES, the workloads).
        for (String used : List.of("vmd.proc.ChildSession", "vmd.proc.ChildProcess", "vmd.sys.Seccomp", "vmd.imsg.ImsgChannel",
                "vmd.vhostuser.VhostUserBackend", "vmd.vioblk.VioblkMain", "vmd.vioblk.BlockDevice", "vmd.disk.Qcow2Disk",
                "vmd.vionet.VionetMain", "vmd.vionet.NetDevice", "java.lang.ProcessEnvironment")) {
            assertTrue(cached.contains(used), used + " is not in the cache");
        }
        // What the training did on its own account, or what only the parent or vmctl runs.
        for (String unused : List.of("vmd.disk.Qcow2Creator", "vmd.disk.RawCreator", "java.security.SecureRandom",
                "sun.security.provider.NativePRNG", "java.util.concurrent.CompletableFuture", "java.util.concurrent.ForkJoinPool",
                "java.nio.file.TempFileHelper", "vmd.proc.ChildLauncher", "vmd.imsg.StartVm", "vmd.proc.LogConfigurator")) {
            assertFalse(cached.contains(unused), unused + " is in the cache");
        }
        assertTrue(cached.stream().noneMatch(c -> c.startsWith("ch.qos.logback.")), "Logback classes in the cache");
    }
}

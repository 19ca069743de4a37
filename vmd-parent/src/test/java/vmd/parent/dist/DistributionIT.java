package vmd.parent.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.parent.vms.VmFixture;
import vmd.testing.ProcFs;
import vmd.testing.Prerequisites;

/**
 * The built distribution ({@code build/vmd}, made at package time) as a user runs it: the
 * launcher's Java 25, every child on the FFM native layer (no jnr-ffi stub library
 * mapped) and started from its kind's AOT cache (the cache file mapped), and the sealed
 * guest-memory contract in every process that maps guest RAM.
 */
class DistributionIT {
    private static final List<String> CHILDREN = List.of("vm dist", "vioblk dist/disk0", "vionet dist/net0", "control",
            "vioblk spare", "vionet spare");
    private Path dir;
    private String netns;
    private Process vmd;

    @BeforeEach
    void setUp() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.requireKvm();
        Prerequisites.requireChildUser();
        Path dist = VmFixture.buildRoot().resolve("build/vmd");
        Prerequisites.require(Files.isExecutable(dist.resolve("bin/vmd")), dist + " (mvn package)");
        // A copy children can read (the tree may sit under a private home), with its caches made there.
        dir = Files.createTempDirectory(Path.of("/tmp"), "vmd-dist-");
        run(List.of("cp", "-R", dist.toString(), dir.resolve("vmd").toString()));
        run(List.of("chmod", "-R", "a+rX", dir.toString()));
        run(List.of(dir.resolve("vmd/bin/vmd-mkaot").toString()));
        netns = "vmd-dist-" + ProcessHandle.current().pid();
        run(List.of("ip", "netns", "add", netns));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (vmd != null) {
            vmd.destroy();
            if (!vmd.waitFor(60, TimeUnit.SECONDS)) vmd.destroyForcibly();
        }
        if (netns != null) new ProcessBuilder("ip", "netns", "del", netns).start().waitFor();
        if (dir != null) new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }

    @Test
    void childrenRunOnFfmFromTheirAotCachesWithSealedGuestMemory() throws Exception {
        Path log = startVmd("spare devices\n");

        Map<String, Long> pids = awaitChildren(log, CHILDREN);
        for (var child : pids.entrySet()) {
            long pid = child.getValue();
            String kind = child.getKey().split(" ")[0];
            String maps = Files.readString(Path.of("/proc/" + pid + "/maps"));
            assertFalse(maps.contains("jffi"), child.getKey() + " loaded jnr-ffi's native library");
            String cache = "vmd-" + (kind.equals("control") ? "control" : "guest") + ".aot";
            assertTrue(maps.contains("/vmd/lib/" + cache), child.getKey() + " maps its AOT cache " + cache);
            if (kind.equals("control") || child.getKey().endsWith(" spare")) continue;
            List<ProcFs.Mapping> guest = ProcFs.smaps(pid).stream().filter(m -> m.header().contains("/memfd:")).toList();
            assertFalse(guest.isEmpty(), child.getKey() + " maps guest memory");
            for (ProcFs.Mapping m : guest) {
                for (String flag : List.of("sh", "dc", "dd", "sl")) {
                    assertTrue(m.vmFlags().contains(flag), child.getKey() + ": VmFlags has " + flag + ": " + m.header() + " " + m.vmFlags());
                }
            }
        }
        assertCachesSharedAtTheirOwnBase(pids);
        String text = Files.readString(log);
        assertFalse(text.contains("refused the AOT cache") || text.contains("no AOT cache"), text);
        assertTrue(text.contains("vioblk dist/disk0: INFO  disk0: 1048576 bytes"), "children log their lines:\n" + text);
        assertEquals(CHILDREN.size(), pids.size());

        // A killed disk is served by the spare, whose lines then carry the device's name.
        long spare = pids.get("vioblk spare");
        ProcessHandle.of(pids.get("vioblk dist/disk0")).ifPresent(ProcessHandle::destroyForcibly);
        awaitLog(log, "served by the spare vioblk process (pid " + spare + ")");
        awaitLog(log, "vm dist: INFO  vioblk0: reconnected");
        String after = Files.readString(log).substring(text.length());
        assertTrue(after.contains("vioblk dist/disk0: INFO  disk0: 1048576 bytes"), "the spare speaks as the disk:\n" + after);
        assertFalse(after.contains("vioblk spare: "), "no line under the spare's name:\n" + after);
    }

    /**
     * The vm, vioblk and vionet processes and the spares map one cache, where vmd-mkaot drew
     * its base at random (not the JDK's fixed default), unrelocated, so they share its
     * read-only half's page-cache pages; the control process's cache has a base of its own.
     */
    private static void assertCachesSharedAtTheirOwnBase(Map<String, Long> pids) throws InterruptedException {
        Map<Long, String> bases = new java.util.HashMap<>();
        for (var child : pids.entrySet()) {
            String cache = child.getKey().equals("control") ? "vmd-control.aot" : "vmd-guest.aot";
            List<ProcFs.Mapping> maps = ProcFs.smaps(child.getValue()).stream()
                    .filter(m -> m.header().endsWith("/vmd/lib/" + cache)).toList();
            assertFalse(maps.isEmpty(), child.getKey() + " maps " + cache);
            long start = maps.get(0).start();
            assertTrue(start >= 0x1000_0000_0000L && start < 0x6000_0000_0000L && start != 0x8_0000_0000L,
                    child.getKey() + ": cache at a drawn base, not relocated: 0x" + Long.toHexString(start));
            String other = bases.putIfAbsent(start, cache);
            assertEquals(cache, other == null ? cache : other, child.getKey() + ": another cache at its cache's base");
            if (cache.equals("vmd-control.aot")) continue;
            // The other processes may still be starting: give them time to map the cache.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long shared;
            while ((shared = sharedKiB(child.getValue(), cache)) <= 1024 && System.nanoTime() < deadline) Thread.sleep(100);
            assertTrue(shared > 1024, child.getKey() + " shares the cache's read-only pages: " + shared + " KiB shared");
        }
        assertEquals(2, bases.size(), "one base per cache: " + bases);
    }

    /** Pages of the cache mapped by another process too; dirty ones as well, as a just-written cache is until writeback. */
    private static long sharedKiB(long pid, String cache) {
        return ProcFs.smaps(pid).stream().filter(m -> m.header().endsWith("/vmd/lib/" + cache))
                .mapToLong(m -> m.kib().getOrDefault("Shared_Clean", 0L) + m.kib().getOrDefault("Shared_Dirty", 0L)).sum();
    }

    @Test
    void aMissingOrRefusedCacheIsLoggedOnceAndTheChildrenStartWithout() throws Exception {
        Files.delete(dir.resolve("vmd/lib/vmd-control.aot"));
        Files.writeString(dir.resolve("vmd/lib/vmd-guest.aot"), "not an AOT cache");
        Path log = startVmd("");
        awaitLog(log, "vm dist: INFO  vioblk0: back-end features");
        awaitLog(log, "vm dist: INFO  vionet0: back-end features");
        String text = Files.readString(log);
        assertEquals(1, count(text, "no AOT cache for control processes"), text);
        // one line for the cache, though three kinds of process were refused it
        assertEquals(1, count(text, "the JVM refused the AOT cache vmd-guest.aot of vioblk, vionet, vm processes"), text);
        assertEquals(1, count(text, "refused the AOT cache"), text);
    }

    @Test
    void aCacheAnotherJavaMadeIsNotGivenToTheChildren() throws Exception {
        Files.writeString(dir.resolve("vmd/lib/vmd-guest.aot.jvm"), "24.0.1+9\n");
        Path log = startVmd("");
        awaitLog(log, "vm dist: INFO  vioblk0: back-end features");
        String text = Files.readString(log);
        assertEquals(1, count(text, "vmd-guest.aot was made by Java 24.0.1+9"), text);
        assertEquals(0, count(text, "refused the AOT cache"), text);
        Map<String, Long> pids = awaitChildren(log, CHILDREN.subList(0, 4));
        for (String name : List.of("vm dist", "vioblk dist/disk0", "vionet dist/net0")) {
            String cmd = Files.readString(Path.of("/proc/" + pids.get(name) + "/cmdline")).replace('\0', ' ');
            assertFalse(cmd.contains("AOTCache") || cmd.contains("ArchiveRelocationMode"), name + ": " + cmd);
        }
        String control = Files.readString(Path.of("/proc/" + pids.get("control") + "/cmdline"));
        assertTrue(control.contains("vmd-control.aot"), "the control process still gets its own cache");
    }

    /** Starts the distribution's vmd with VM "dist" (a 1 MiB disk, a local interface) and {@code extra}; returns its log. */
    private Path startVmd(String extra) throws IOException {
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, new byte[1 << 20]);
        Path conf = dir.resolve("vm.conf");
        Files.writeString(conf, "user " + Prerequisites.childUser() + "\n"
                + "vm \"dist\" {\n  boot \"" + VmFixture.TEST_GUEST + "\"\n  cmdline \"console=ttyS0\"\n"
                + "  memory 64M\n  disk \"" + disk + "\"\n  local interface\n}\n" + extra);
        Path log = dir.resolve("vmd.log");
        vmd = new ProcessBuilder("ip", "netns", "exec", netns, dir.resolve("vmd/bin/vmd").toString(),
                "-d", "-f", conf.toString(), "-s", dir.resolve("vmd.sock").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return log;
    }

    private void awaitLog(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.readString(log).contains(text)) {
            assertTrue(vmd.isAlive() && System.nanoTime() < deadline, "vmd never logged \"" + text + "\":\n" + Files.readString(log));
            Thread.sleep(100);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    /** Waits until every child is up and each vm/device process has mapped guest memory; pid by name. */
    private Map<String, Long> awaitChildren(Path log, List<String> expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            Map<String, Long> found = new LinkedHashMap<>();
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) procs::iterator) {
                    if (!p.getFileName().toString().matches("\\d+")) continue;
                    String cmd;
                    try {
                        cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    } catch (IOException gone) {
                        continue;
                    }
                    if (!cmd.contains(dir.toString())) continue;
                    for (String name : expected) {
                        if (cmd.contains("-Dvmd.process=" + name + " ")) found.put(name, Long.parseLong(p.getFileName().toString()));
                    }
                }
            }
            boolean mapped = found.size() == expected.size() && found.entrySet().stream()
                    .filter(e -> !e.getKey().equals("control") && !e.getKey().endsWith(" spare"))
                    .allMatch(e -> hasGuestMemory(e.getValue()));
            if (mapped) return found;
            if (!vmd.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("children " + found + " of " + expected + " not all up:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    private static boolean hasGuestMemory(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/maps")).contains("/memfd:");
        } catch (IOException gone) {
            return false;
        }
    }

    private static void run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS) && p.exitValue() == 0, argv + " failed:\n" + out);
    }
}

package vmd.proc;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ahead-of-time caches children start from (JEP 483/514): classes already parsed,
 * verified and linked, written at package time by training runs
 * ({@code vmd-mkaot}) beside the jars. Two caches: {@code lib/vmd-guest.aot} for the
 * processes of a VM (vm, vioblk, vionet) and {@code lib/vmd-control.aot}. A cache is only
 * valid for the class path and JVM flags it was trained with, so the training runs with
 * the flags of {@link ChildJvmFlags}; the kinds of one cache differ only in heap sizes and
 * compilers, which a cache does not hold, and share one class path ({@link ChildClassPath}).
 * The caches hold no method profiles (JEP 515): with the classes linked ahead of time every
 * process writes its cache's read-write half, and profiles were ~1 MiB of it in each
 * process, and they only speed up the devices' C2 warm-up (the benchmarks' throughput
 * was the same without them).
 *
 * <p>A child maps its cache at the address the cache was made for
 * ({@code ArchiveRelocationMode=0}), so the cache's read-only part (class metadata, ~8 of
 * its 15 MiB) stays a clean file mapping that all of a VM's processes share, and those
 * of every other VM and the spares. The JVM's default (relocate to a random address at
 * every start) rewrites every pointer and leaves each process a private copy. The address
 * is not a fixed one known to anyone who has the release: {@code vmd-mkaot} draws it at
 * random for each cache ({@link #randomBase}), on the host where the cache is made. Where
 * it is taken in a child, the JVM relocates as usual. Everything else - libc, the heap,
 * stacks, guest memory - is still placed anew by the kernel at every start. (The read-write
 * part, ~5 MiB, is written as the classes are linked at start and is private either way.)
 *
 * <p>A missing cache, or one another Java made ({@code vmd-CACHE.aot.jvm} beside it names
 * the one that did), is logged once and the child starts without it; a cache the child's
 * JVM refused all the same (other flags, a damaged file) is reported by the child in
 * CHILD_READY and logged once by the parent.
 */
public final class AotCache {
    /** Set on a child's command line to the cache it was given. */
    public static final String PROPERTY = "vmd.aot";
    private static final Logger log = LoggerFactory.getLogger(AotCache.class);
    private static final Set<String> reported = ConcurrentHashMap.newKeySet();

    /** Whether a child started from its cache, as it tells the parent in CHILD_READY. */
    public enum State { NONE, USED, REJECTED }

    private AotCache() {}

    /** The cache of a VM's processes. */
    public static final String GUEST = "guest";
    /** The kinds that start from {@link #GUEST}; the first one's flags train it. */
    public static final List<String> GUEST_KINDS = List.of("vioblk", "vionet", "vm");
    /** The caches, in the order vmd-mkaot makes them. */
    static final List<String> CACHES = List.of(GUEST, "control");

    /** The kinds that start from {@code cache}, in training order. */
    static List<String> kindsOf(String cache) {
        return cache.equals(GUEST) ? GUEST_KINDS : List.of(cache);
    }

    /** The cache a kind of child starts from: {@link #GUEST} or the kind's own. */
    public static String cacheOf(String kind) {
        return GUEST_KINDS.contains(kind) ? GUEST : kind;
    }

    /** {@code lib/vmd-CACHE.aot} of the kind, beside the first jar of the class path; null for class directories. */
    public static Path pathFor(String classPath, String kind) {
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.endsWith(".jar")) continue;
            return Path.of(entry).toAbsolutePath().getParent().resolve("vmd-" + cacheOf(kind) + ".aot");
        }
        return null;
    }

    /** The options that start a child of {@code kind} from its cache, or none (logged once) if it has none. */
    public static List<String> options(String classPath, String kind) {
        Path cache = pathFor(classPath, kind);
        if (cache == null) return List.of(); // a development class path: nothing was trained
        if (!Files.isReadable(cache)) {
            if (reported.add(cacheOf(kind) + " missing")) {
                log.info("no AOT cache for {} processes at {}; they start without one (vmd-mkaot makes it)",
                        String.join(", ", kindsOf(cacheOf(kind))), cache);
            }
            return List.of();
        }
        // Another Java would refuse the cache anyway, and might not know the diagnostic
        // flag below at all, which would stop the child from starting: only the Java that
        // made the cache gets it.
        String madeBy = madeBy(cache);
        String running = System.getProperty("java.vm.version");
        if (!running.equals(madeBy)) {
            if (reported.add(cacheOf(kind) + " other java")) {
                log.warn("the AOT cache {} was made by Java {}, this is {}; {} processes start without it until vmd-mkaot is run again",
                        cache, madeBy == null ? "unknown" : madeBy, running, String.join(", ", kindsOf(cacheOf(kind))));
            }
            return List.of();
        }
        // The cache holds no profiles (see above): no thread to replay them.
        return List.of("-XX:AOTCache=" + cache, "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
                "-XX:-AOTReplayTraining", "-D" + PROPERTY + "=" + cache);
    }

    /** The file beside a cache that names the Java (java.vm.version) that made it. */
    public static Path jvmFile(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".jvm");
    }

    /** The java.vm.version that made {@code cache}, or null when unrecorded. */
    static String madeBy(Path cache) {
        try {
            return Files.readString(jvmFile(cache)).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Lowest and highest (exclusive) base drawn: above any heap or library the JVM places low, below the mmap area. */
    static final long BASE_LOW = 0x1000_0000_0000L, BASE_HIGH = 0x6000_0000_0000L;
    /** 2 MiB steps: 2^25 possible bases. */
    static final long BASE_ALIGN = 2L << 20;

    /**
     * A base address for a cache being made ({@code -XX:SharedBaseAddress}), at random
     * between {@link #BASE_LOW} and {@link #BASE_HIGH} in 2 MiB steps, from the JDK's
     * strong random source.
     */
    public static long randomBase(java.util.random.RandomGenerator random) {
        long steps = (BASE_HIGH - BASE_LOW) / BASE_ALIGN;
        return BASE_LOW + random.nextLong(steps) * BASE_ALIGN;
    }

    /** In a child: did this JVM map the cache it was given? (A refused cache leaves it without sharing.) */
    public static State state() {
        if (System.getProperty(PROPERTY) == null) return State.NONE;
        return System.getProperty("java.vm.info", "").contains("sharing") ? State.USED : State.REJECTED;
    }

    /** In the parent, when a child says CHILD_READY: logs once per cache a cache its JVM refused. */
    public static void checkReady(String kind, State state) {
        if (state == State.REJECTED && reported.add(cacheOf(kind) + " rejected")) {
            log.warn("the JVM refused the AOT cache vmd-{}.aot of {} processes (another JDK or other flags?); "
                    + "they start without it until vmd-mkaot is run again", cacheOf(kind), String.join(", ", kindsOf(cacheOf(kind))));
        }
    }
}

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
 * The ahead-of-time cache each kind of child starts from (JEP 483/514/515): classes
 * already parsed, verified and linked, and profiles, written at package time by a training
 * run of that kind ({@code vmd-mkaot}) to {@code lib/vmd-KIND.aot} beside the jars. A
 * cache is only valid for the class path and JVM flags it was trained with, so the
 * training runs with exactly the flags of {@link ChildJvmFlags}.
 *
 * <p>A missing cache is logged once per kind and the child starts without it; a cache the
 * child's JVM refused (another JDK build, other flags) is reported by the child in
 * CHILD_READY and logged once per kind by the parent.
 */
public final class AotCache {
    /** Set on a child's command line to the cache it was given. */
    public static final String PROPERTY = "vmd.aot";
    private static final Logger log = LoggerFactory.getLogger(AotCache.class);
    private static final Set<String> reported = ConcurrentHashMap.newKeySet();

    /** Whether a child started from its cache, as it tells the parent in CHILD_READY. */
    public enum State { NONE, USED, REJECTED }

    private AotCache() {}

    /** {@code lib/vmd-KIND.aot} beside the first jar of the class path; null for class directories. */
    public static Path pathFor(String classPath, String kind) {
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.endsWith(".jar")) continue;
            return Path.of(entry).toAbsolutePath().getParent().resolve("vmd-" + kind + ".aot");
        }
        return null;
    }

    /** The options that start a child of {@code kind} from its cache, or none (logged once) if it has none. */
    public static List<String> options(String classPath, String kind) {
        Path cache = pathFor(classPath, kind);
        if (cache == null) return List.of(); // a development class path: nothing was trained
        if (!Files.isReadable(cache)) {
            if (reported.add(kind + " missing")) {
                log.info("no AOT cache for {} processes at {}; they start without one (vmd-mkaot makes it)", kind, cache);
            }
            return List.of();
        }
        return List.of("-XX:AOTCache=" + cache, "-D" + PROPERTY + "=" + cache);
    }

    /** In a child: did this JVM map the cache it was given? (A refused cache leaves it without sharing.) */
    public static State state() {
        if (System.getProperty(PROPERTY) == null) return State.NONE;
        return System.getProperty("java.vm.info", "").contains("sharing") ? State.USED : State.REJECTED;
    }

    /** In the parent, when a child says CHILD_READY: logs once per kind a cache its JVM refused. */
    public static void checkReady(String kind, State state) {
        if (state == State.REJECTED && reported.add(kind + " rejected")) {
            log.warn("the JVM refused the AOT cache for {} processes (another JDK or other flags?); "
                    + "they start without it until vmd-mkaot is run again", kind);
        }
    }
}

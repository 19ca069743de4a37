package vmd.proc;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags of each kind of child, and why (measured on the build machines, see
 * bench/README.md "Start-up and footprint"). The AOT training run uses the same flags,
 * or the children's JVMs would refuse the cache.
 *
 * <p>Measured with bench/start-run.sh (MiB, 5 s after the guest is ready and has done some
 * block I/O, 2026-12-07): PSS vm 24.5, vioblk 19.3, vionet 19.0; RSS 45.2, 40.3, 40.0.
 * What remains is the JVM's floor: ~13 MiB of class metadata mapped from the AOT cache,
 * its written part (~5 MiB) private and the rest shared by every process that starts
 * from the cache ({@link AotCache}, {@link AotTraining} on what goes into it), libjvm
 * (~17 MiB resident, shared by all of vmd's JVMs, so it counts in PSS only in part) and
 * a few MiB of heap, 1 MiB of it the cache's archived objects. {@code -Xms8m},
 * {@code -Xss256k}, {@code -Xmn4m} (at rest), {@code MALLOC_ARENA_MAX=1} or
 * {@code -XX:CICompilerCount=2} each change it by under 0.2 MiB; compact object headers
 * cost 6 MiB.
 *
 * <ul>
 *   <li>Serial GC: one collector, no GC worker threads or their stacks and card tables;
 *       a child's heap is small and its pauses are short.
 *   <li>{@code -XX:-UsePerfData}: no /tmp/hsperfdata file (a child has an empty filesystem
 *       and nothing reads it), and no shared-memory page per process.
 *   <li>{@code -Xss512k}: vCPU and ring threads keep shallow stacks.
 *   <li>Interned-string and symbol tables of 4096 buckets, not 65536 and 32768: almost every
 *       string and symbol a child uses is in its cache's own tables, and the JVM's tables
 *       (whose bucket arrays are written at start) grow when they fill. 0.7 MiB of malloc
 *       per process. {@code SymbolTableSize} is an experimental flag in Java 25, hence the
 *       unlock; the launcher finds a Java 25 ({@code scripts/java-home.sh}).
 *   <li>{@code -Dslf4j.provider=vmd.proc.ChildLog}: children log through {@link ChildLog},
 *       not Logback (~40 ms of every start, and its classes).
 *   <li>One compiler per kind instead of tiered compilation (C1 code, profiled C1 code,
 *       then C2): profiling code and its data, and a second compiler thread with its
 *       arenas, cost 2-2.5 MiB per process. The vm process and the control process run
 *       C1 only ({@code -XX:TieredStopAtLevel=1}): their Java work per event is small
 *       next to the event (a vCPU exit, a vmctl request), and live migration's downtime
 *       and total time did not suffer (bench/migrate-run.sh: 10 ms, 0.22 of QEMU's). The
 *       device processes run C2 only ({@code -XX:-TieredCompilation}): their ring loops
 *       are the data path, and C1 code lost there - 35 % of vioblk's 4 KiB QD32 IOPS, a
 *       third of vionet's 64-byte frames into the guest (bench/run.sh, bench/net-run.sh) -
 *       while C2 alone keeps tiered C2's throughput and costs what C1 alone does. Their
 *       start-up runs interpreted until C2 compiles the hot methods; with nothing to parse
 *       or link (the cache) a restart still serves in ~200 ms.
 *   <li>Heap ceilings per kind: the heap of a device holds ring state and, for vioblk,
 *       the qcow2 table caches (up to 32 MiB by default); guest data never passes
 *       through the heap (zero copy), so no kind needs more.
 *   <li>A young generation of 8 MiB ({@code -Xmn8m}): every request allocates a few
 *       small, short-lived objects, and with the default young size (a third of the heap)
 *       the whole eden is touched before the first collection. Under bench/run.sh's load
 *       a vioblk process ends at 71 MiB RSS instead of 91 with the same throughput
 *       (QD32 random reads within 3 %); 4 MiB saved 5 MiB more but cost 8-10 % of the IOPS.
 *       The vm process gets 2 MiB: it is on no data path (rings are kicked and signalled
 *       through eventfds between the guest and the devices); its heap at rest held 1.3 MiB
 *       less with 4 MiB than with 8.
 * </ul>
 */
public final class ChildJvmFlags {
    private static final List<String> COMMON = List.of(
            "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss512k",
            "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=64m", "-XX:TrimNativeHeapInterval=1000",
            "-XX:StringTableSize=4096", "-XX:+UnlockExperimentalVMOptions", "-XX:SymbolTableSize=4096",
            "-Dslf4j.provider=vmd.proc.ChildLog", "-Dslf4j.internal.verbosity=WARN");

    private ChildJvmFlags() {}

    /**
     * Prints a kind's flags, with its AOT cache if the class path's lib/ has one, or with
     * {@code --class-path} its class path, for scripts that start a back-end the way vmd
     * does (bench/): {@code ChildJvmFlags [--class-path] KIND}.
     */
    public static void main(String[] args) {
        boolean classPath = args.length == 2 && args[0].equals("--class-path");
        if (args.length != 1 && !classPath) throw new IllegalArgumentException("usage: ChildJvmFlags [--class-path] KIND");
        String kind = args[args.length - 1];
        String cp = ChildClassPath.forKind(System.getProperty("java.class.path"), kind);
        if (classPath) {
            System.out.println(cp);
            return;
        }
        List<String> flags = new ArrayList<>(of(kind));
        flags.addAll(AotCache.options(cp, kind));
        System.out.println(String.join(" ", flags));
    }

    public static List<String> of(String kind) {
        List<String> flags = new ArrayList<>(COMMON);
        switch (kind) {
            case "vm" -> flags.addAll(List.of("-Xmx64m", "-Xmn2m", "-XX:TieredStopAtLevel=1"));
            case "vioblk" -> flags.addAll(List.of("-Xmx96m", "-Xmn8m", "-XX:-TieredCompilation"));
            case "vionet" -> flags.addAll(List.of("-Xmx48m", "-Xmn8m", "-XX:-TieredCompilation"));
            case "control" -> flags.addAll(List.of("-Xmx32m", "-Xmn4m", "-XX:TieredStopAtLevel=1"));
            default -> flags.add("-Xmx64m");
        }
        return List.copyOf(flags);
    }
}

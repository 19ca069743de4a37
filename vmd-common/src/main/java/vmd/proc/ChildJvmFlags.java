package vmd.proc;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags of each kind of child, and why (measured on the build machines, see
 * bench/README.md "Start-up and footprint"). The AOT training run uses the same flags,
 * or the children's JVMs would refuse the cache.
 *
 * <p>Measured on a vioblk process, 1 s after start (RSS / PSS, MiB): these flags with the
 * AOT cache 54.7 / 52.9, without the cache 64.5 / 62.5; {@code -Xms8m}, {@code -Xmn2m},
 * {@code -Xss256k}, {@code MALLOC_ARENA_MAX=1} or {@code -XX:CICompilerCount=2} each change
 * it by under 1 MiB, C1 only ({@code -XX:TieredStopAtLevel=1}) saves ~2 MiB, compact object
 * headers cost 6 MiB. What remains is the JVM's floor: ~17 MiB of class metadata mapped
 * from the cache (~6 MiB of it written at start and private, the rest shared by every
 * process that starts from the cache: {@link AotCache}), libjvm's text (shared between
 * all of vmd's JVMs, so it counts in PSS only in part) and a few MiB of heap.
 *
 * <ul>
 *   <li>Serial GC: one collector, no GC worker threads or their stacks and card tables;
 *       a child's heap is small and its pauses are short.
 *   <li>{@code -XX:-UsePerfData}: no /tmp/hsperfdata file (a child has an empty filesystem
 *       and nothing reads it), and no shared-memory page per process.
 *   <li>{@code -Xss512k}: vCPU and ring threads keep shallow stacks.
 *   <li>{@code -Dslf4j.provider=vmd.proc.ChildLog}: children log through {@link ChildLog},
 *       not Logback (~40 ms of every start, and its classes).
 *   <li>{@code -XX:TieredStopAtLevel=1} for the control process: it answers vmctl
 *       now and then, so C1 code is fast enough and C2's compiler threads and memory are
 *       saved. The device processes keep C2: their ring loops are the data path.
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
 *   <li>{@code -XX:TieredStopAtLevel=1} for the vm process too: its Java work per exit is
 *       small next to the exit, and without C2 it has no C2 compiler thread, arenas or
 *       code. With the 2 MiB young generation its PSS went from 29.9 to 28.0 MiB
 *       (bench/start-run.sh), and live migration's downtime and total time did not suffer
 *       (bench/migrate-run.sh: 10 ms, 0.22 of QEMU's), nor READY. The guest cache is
 *       trained with vioblk's flags ({@link AotCache#GUEST_KINDS} lists it first), so it
 *       holds C2 profiles for the devices' ring code; trained with the vm's C1-only flags
 *       its private half was 0.5 MiB smaller, a difference the benchmark's noise hid.
 * </ul>
 */
public final class ChildJvmFlags {
    private static final List<String> COMMON = List.of(
            "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss512k",
            "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=64m", "-XX:TrimNativeHeapInterval=1000",
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
            case "vioblk" -> flags.addAll(List.of("-Xmx96m", "-Xmn8m"));
            case "vionet" -> flags.addAll(List.of("-Xmx48m", "-Xmn8m"));
            case "control" -> flags.addAll(List.of("-Xmx32m", "-Xmn4m", "-XX:TieredStopAtLevel=1"));
            default -> flags.add("-Xmx64m");
        }
        return List.copyOf(flags);
    }
}

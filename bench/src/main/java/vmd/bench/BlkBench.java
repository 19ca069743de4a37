package vmd.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import vmd.vhostuser.UnixListener;

/**
 * vioblk versus qemu-storage-daemon, side by side under the same front-end and driver
 * ({@link BlkDriver}), on the same raw and qcow2 images, in one run. Prints a Markdown
 * table of absolute numbers and ratios (ours / qemu) on stdout, progress on stderr.
 * A program, not a test: nothing here asserts on timing.
 *
 * <p>Usage: {@code BlkBench [--dir DIR] [--size-mib N] [--seconds S] [--warmup S] [--rounds N]
 * [--formats raw,qcow2] [--backends vmd,qsd] [--seq-qd N] [--rand-qd 1,32] [--rand-write-qd 32] [--no-event-idx]
 * [--reuse-images] [--vioblk-classpath CP] [--vioblk-jvm-flags "..."] [--java PATH]
 * [--qsd PATH] [--qsd-aio threads|io_uring|native] [--qemu-img PATH]}.
 */
public final class BlkBench {
    static final String VMD = "vmd", QSD = "qsd";

    /** One measured workload. */
    record Phase(String label, int type, int length, boolean sequential, int queueDepth, boolean iops) {
        String unit() {
            return iops ? "IOPS" : "MB/s";
        }
    }

    record Result(double value, long ops, double seconds, double kicksPerOp, double interruptsPerOp) {}

    static final class Options {
        Path dir = Path.of("/var/tmp/vmd-bench");
        long sizeMiB = 1024;
        double seconds = 1.5;
        double warmup = 1;
        int rounds = 5;
        List<String> formats = List.of("raw", "qcow2");
        List<String> backends = List.of(VMD, QSD);
        int seqQd = 4;
        int[] randQd = {1, 32};
        int[] randWriteQd = {32};
        boolean eventIdx = true;
        boolean reuseImages;
        String vioblkClasspath = System.getProperty("java.class.path");
        List<String> vioblkJvmFlags = splitFlags(System.getenv().getOrDefault("VMD_JVM_FLAGS",
                "--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:-UsePerfData -Xss512k"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String qsd = "/usr/bin/qemu-storage-daemon";
        String qsdAio = "threads";
        String qemuImg = "/usr/bin/qemu-img";

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--dir" -> o.dir = Path.of(args[++i]);
                    case "--size-mib" -> o.sizeMiB = Long.parseLong(args[++i]);
                    case "--seconds" -> o.seconds = Double.parseDouble(args[++i]);
                    case "--warmup" -> o.warmup = Double.parseDouble(args[++i]);
                    case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
                    case "--formats" -> o.formats = List.of(args[++i].split(","));
                    case "--backends" -> o.backends = List.of(args[++i].split(","));
                    case "--seq-qd" -> o.seqQd = Integer.parseInt(args[++i]);
                    case "--rand-qd" -> o.randQd = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--rand-write-qd" -> o.randWriteQd = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--no-event-idx" -> o.eventIdx = false;
                    case "--reuse-images" -> o.reuseImages = true;
                    case "--vioblk-classpath" -> o.vioblkClasspath = args[++i];
                    case "--vioblk-jvm-flags" -> o.vioblkJvmFlags = splitFlags(args[++i]);
                    case "--java" -> o.java = args[++i];
                    case "--qsd" -> o.qsd = args[++i];
                    case "--qsd-aio" -> o.qsdAio = args[++i];
                    case "--qemu-img" -> o.qemuImg = args[++i];
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.rounds < 1) throw new IllegalArgumentException("--rounds at least 1");
            if (o.seqQd < 1 || o.seqQd > BlkDriver.MAX_SLOTS) throw new IllegalArgumentException("--seq-qd 1.." + BlkDriver.MAX_SLOTS);
            for (int q : o.randQd) {
                if (q < 1 || q > BlkDriver.MAX_SLOTS) throw new IllegalArgumentException("--rand-qd 1.." + BlkDriver.MAX_SLOTS);
            }
            for (int q : o.randWriteQd) {
                if (q < 1 || q > BlkDriver.MAX_SLOTS) throw new IllegalArgumentException("--rand-write-qd 1.." + BlkDriver.MAX_SLOTS);
            }
            for (String f : o.formats) if (!f.equals("raw") && !f.equals("qcow2")) throw new IllegalArgumentException("format " + f);
            for (String b : o.backends) if (!b.equals(VMD) && !b.equals(QSD)) throw new IllegalArgumentException("back-end " + b);
            return o;
        }

        private static List<String> splitFlags(String s) {
            List<String> out = new ArrayList<>();
            for (String f : s.trim().split("\\s+")) if (!f.isEmpty()) out.add(f);
            return out;
        }
    }

    private final Options o;
    private final PrintStream progress = System.err;
    private final List<Phase> phases = new ArrayList<>();
    /** format -> phase label -> back-end -> result. */
    private final Map<String, Map<String, Map<String, List<Result>>>> results = new LinkedHashMap<>();
    /** format -> back-end -> memory at the end, and start-to-socket time. */
    private final Map<String, Map<String, Backend.Memory>> memory = new LinkedHashMap<>();
    private final Map<String, Map<String, Long>> startMillis = new LinkedHashMap<>();
    private boolean eventIdxUsed = true;
    /** format -> what qemu-img said of the images each back-end wrote from empty. */
    private final Map<String, List<String>> integrity = new LinkedHashMap<>();

    BlkBench(Options o) {
        this.o = o;
        phases.add(new Phase("seq read 1 MiB, QD" + o.seqQd, BlkDriver.T_IN, 1 << 20, true, o.seqQd, false));
        for (int q : o.randQd) phases.add(new Phase("rand read 4 KiB, QD" + q, BlkDriver.T_IN, 4096, false, q, true));
        // Writes last: they dirty the page cache, and a FLUSH (untimed) follows them.
        phases.add(new Phase("seq write 1 MiB, QD" + o.seqQd, BlkDriver.T_OUT, 1 << 20, true, o.seqQd, false));
        for (int q : o.randWriteQd) phases.add(new Phase("rand write 4 KiB, QD" + q, BlkDriver.T_OUT, 4096, false, q, true));
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        new BlkBench(o).run(System.out);
    }

    void run(PrintStream out) throws Exception {
        Files.createDirectories(o.dir);
        Map<String, Path> images = makeImages();
        for (String format : o.formats) {
            measure(format, images.get(format));
            integrity.put(format, ImageIntegrity.run(o.qemuImg, format, Math.min(o.sizeMiB, 256) << 20, o.dir, o.backends,
                    (which, image) -> start(which, image, format + "-fresh"), progress));
        }
        print(out);
    }

    // ---- images ----

    private Map<String, Path> makeImages() throws IOException, InterruptedException {
        long size = o.sizeMiB << 20;
        Path raw = o.dir.resolve("disk.raw");
        Path qcow2 = o.dir.resolve("disk.qcow2");
        Map<String, Path> m = new LinkedHashMap<>();
        m.put("raw", raw);
        m.put("qcow2", qcow2);
        boolean reuse = o.reuseImages && Files.exists(raw) && Files.size(raw) == size
                && (!o.formats.contains("qcow2") || Files.exists(qcow2));
        if (reuse) {
            progress.printf("reusing %s%n", o.dir);
            return m;
        }
        progress.printf("writing %d MiB of pseudo-random data to %s%n", o.sizeMiB, raw);
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            SplittableRandom r = new SplittableRandom(1);
            for (long at = 0; at < size; at += buf.capacity()) {
                buf.clear();
                while (buf.remaining() >= 8) buf.putLong(r.nextLong());
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
            }
            ch.force(true);
        }
        if (o.formats.contains("qcow2")) {
            progress.printf("qemu-img convert -O qcow2 (every cluster allocated) to %s%n", qcow2);
            Files.deleteIfExists(qcow2);
            Process p = new ProcessBuilder(o.qemuImg, "convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=65536",
                    raw.toString(), qcow2.toString()).inheritIO().start();
            if (p.waitFor() != 0) throw new IOException("qemu-img convert failed");
        }
        return m;
    }

    /** Reads the whole image once so both back-ends start with it in the page cache. */
    private static void warmPageCache(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long at = 0;
            int n;
            while ((n = ch.read(buf.clear(), at)) > 0) at += n;
        }
    }

    // ---- both back-ends on one format ----

    /**
     * Starts every back-end on its own byte-identical copy of the image (so both can be up
     * at once), then runs the phases in rounds, alternating which back-end goes first, so
     * that noise from anything else on the machine falls on both alike.
     */
    private void measure(String format, Path image) throws Exception {
        Map<String, Backend> backends = new LinkedHashMap<>();
        Map<String, BlkDriver> drivers = new LinkedHashMap<>();
        try {
            for (String which : o.backends) {
                Path copy = o.dir.resolve(which + "." + format);
                Files.copy(image, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                warmPageCache(copy);
                long t0 = System.nanoTime();
                Backend b = start(which, copy, format);
                backends.put(which, b);
                b.awaitSocket(60_000);
                long ready = (System.nanoTime() - t0) / 1_000_000;
                startMillis.computeIfAbsent(format, k -> new LinkedHashMap<>()).put(which, ready);
                progress.printf("%s %s: pid %d, socket after %d ms%n", format, b.name, b.pid(), ready);
                BlkDriver d = new BlkDriver(UnixListener.connect(b.socket, 10_000), which + "-" + format, o.eventIdx);
                drivers.put(which, d);
                eventIdxUsed &= d.eventIdx();
                if (d.capacityBytes() < (4L << 20)) throw new IllegalStateException("image too small: " + d.capacityBytes());
            }
            if (o.warmup > 0) {
                for (BlkDriver d : drivers.values()) {
                    for (Phase p : phases) run(d, p, o.warmup / phases.size(), 99);
                    d.flush();
                }
            }
            List<String> order = new ArrayList<>(o.backends);
            for (int round = 0; round < o.rounds; round++) {
                for (int pi = 0; pi < phases.size(); pi++) {
                    Phase p = phases.get(pi);
                    for (String which : order) {
                        BlkDriver d = drivers.get(which);
                        Result r = run(d, p, o.seconds, 1000L * round + pi);
                        results.computeIfAbsent(format, k -> new LinkedHashMap<>()).computeIfAbsent(p.label, k -> new LinkedHashMap<>())
                                .computeIfAbsent(which, k -> new ArrayList<>()).add(r);
                        String flushed = "";
                        if (p.type == BlkDriver.T_OUT) { // untimed: write back before anything else runs
                            long f0 = System.nanoTime();
                            d.flush();
                            flushed = String.format(Locale.ROOT, ", flush %.2f s", (System.nanoTime() - f0) / 1e9);
                        }
                        progress.printf(Locale.ROOT, "%s round %d %-20s %-24s %10.1f %s  (%d requests in %.2f s, %.2f kicks, %.2f interrupts per request%s)%n",
                                format, round + 1, backends.get(which).name, p.label, r.value, p.unit(), r.ops, r.seconds,
                                r.kicksPerOp, r.interruptsPerOp, flushed);
                    }
                    java.util.Collections.reverse(order);
                }
            }
            for (Map.Entry<String, Backend> e : backends.entrySet()) {
                memory.computeIfAbsent(format, k -> new LinkedHashMap<>()).put(e.getKey(), e.getValue().memory());
            }
        } catch (Exception e) {
            for (Backend b : backends.values()) progress.println("--- " + b.name + " log ---\n" + b.tail());
            throw e;
        } finally {
            for (BlkDriver d : drivers.values()) {
                try {
                    d.close();
                } catch (RuntimeException e) {
                    progress.println("closing the front-end: " + e);
                }
            }
            for (Backend b : backends.values()) b.close();
            for (String which : backends.keySet()) Files.deleteIfExists(o.dir.resolve(which + "." + format));
        }
    }

    private Backend start(String which, Path image, String tag) throws IOException {
        String format = image.getFileName().toString().endsWith(".qcow2") ? "qcow2" : "raw";
        return which.equals(VMD)
                ? Backend.vioblk(o.java, o.vioblkJvmFlags, o.vioblkClasspath, image, o.dir, tag)
                : Backend.qsd(o.qsd, o.qsdAio, image, format, o.dir, tag);
    }

    /** Keeps {@code p.queueDepth} requests in flight for {@code seconds}; the last completion ends the clock. */
    private Result run(BlkDriver d, Phase p, double seconds, long seed) {
        long capacity = d.capacityBytes() - d.capacityBytes() % p.length;
        long blocks = capacity / p.length;
        SplittableRandom random = new SplittableRandom(seed);
        long[] next = {random.nextLong(blocks) * p.length};
        long kicks0 = d.kicks, irq0 = d.interrupts;
        long start = System.nanoTime();
        long stop = start + (long) (seconds * 1e9);
        for (int s = 0; s < p.queueDepth; s++) d.queue(s, p.type, offset(p, random, blocks, next, capacity), p.length);
        d.publish();
        int inFlight = p.queueDepth;
        long ops = 0;
        long end = start;
        int[] done = new int[BlkDriver.MAX_SLOTS];
        while (inFlight > 0) {
            int n = d.reap(done);
            end = System.nanoTime();
            ops += n;
            inFlight -= n;
            if (end < stop) {
                for (int i = 0; i < n; i++) d.queue(done[i], p.type, offset(p, random, blocks, next, capacity), p.length);
                inFlight += n;
                d.publish();
            }
        }
        double secs = (end - start) / 1e9;
        double value = p.iops ? ops / secs : ops * (double) p.length / 1e6 / secs;
        return new Result(value, ops, secs, (d.kicks - kicks0) / (double) ops, (d.interrupts - irq0) / (double) ops);
    }

    private static long offset(Phase p, SplittableRandom random, long blocks, long[] next, long capacity) {
        if (!p.sequential) return random.nextLong(blocks) * p.length;
        long at = next[0];
        next[0] = at + p.length >= capacity ? 0 : at + p.length;
        return at;
    }

    // ---- report ----

    private void print(PrintStream out) {
        String date = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
        out.printf(Locale.ROOT, "vioblk vs qemu-storage-daemon, %s, %d-MiB images, %d rounds of %.1f s per phase and back-end, %d CPU(s), Linux %s%n",
                date, o.sizeMiB, o.rounds, o.seconds, Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"));
        out.printf(Locale.ROOT, "vioblk JVM flags: %s%n", String.join(" ", o.vioblkJvmFlags));
        out.printf("Both back-ends buffered through the host page cache (ours: pread/pwrite; qsd: cache.direct=off, aio=%s);%n", o.qsdAio);
        out.printf("images read once before the back-ends start; one queue of %d; driver features VERSION_1%s; MB = 10^6 bytes.%n",
                BlkDriver.RING_SIZE, eventIdxUsed && o.eventIdx ? " + EVENT_IDX" : "");
        out.printf("Throughput: median over rounds; ratio: median of the per-round ratios [min-max].%n%n");
        String a = o.backends.contains(VMD) ? VMD : null, q = o.backends.contains(QSD) ? QSD : null;
        out.println("| image | measure | vmd vioblk | qemu-storage-daemon | ours / qemu |");
        out.println("|---|---|---:|---:|---:|");
        for (String format : o.formats) {
            Map<String, Map<String, List<Result>>> byPhase = results.getOrDefault(format, Map.of());
            for (Phase p : phases) {
                Map<String, List<Result>> r = byPhase.getOrDefault(p.label, Map.of());
                List<Result> ours = a == null ? List.of() : r.getOrDefault(a, List.of());
                List<Result> theirs = q == null ? List.of() : r.getOrDefault(q, List.of());
                String fmt = p.iops ? "%.0f" : "%.0f";
                String ratio = "-";
                if (!ours.isEmpty() && ours.size() == theirs.size()) {
                    double[] rs = new double[ours.size()];
                    for (int i = 0; i < rs.length; i++) rs[i] = ours.get(i).value / theirs.get(i).value;
                    double[] sorted = rs.clone();
                    Arrays.sort(sorted);
                    ratio = String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", median(rs), sorted[0], sorted[sorted.length - 1]);
                }
                out.printf("| %s | %s (%s) | %s | %s | %s |%n", format, p.label, p.unit(), num(medianValue(ours), fmt),
                        num(medianValue(theirs), fmt), ratio);
            }
            Map<String, Backend.Memory> mem = memory.getOrDefault(format, Map.of());
            row(out, format, "RSS at end, VmRSS (MiB)", mib(mem, a, Backend.Memory::rssKiB), mib(mem, q, Backend.Memory::rssKiB), "%.1f");
            row(out, format, "peak RSS, VmHWM (MiB)", mib(mem, a, Backend.Memory::hwmKiB), mib(mem, q, Backend.Memory::hwmKiB), "%.1f");
            row(out, format, "RssAnon at end (MiB)", mib(mem, a, Backend.Memory::anonKiB), mib(mem, q, Backend.Memory::anonKiB), "%.1f");
            row(out, format, "RssShmem at end (MiB)", mib(mem, a, Backend.Memory::shmemKiB), mib(mem, q, Backend.Memory::shmemKiB), "%.1f");
            Map<String, Long> st = startMillis.getOrDefault(format, Map.of());
            row(out, format, "spawn to socket (ms)", a == null || !st.containsKey(a) ? Double.NaN : st.get(a),
                    q == null || !st.containsKey(q) ? Double.NaN : st.get(q), "%.0f");
        }
        out.printf("%nThe same %d writes into a fresh image through each back-end, then qemu-img:%n", ImageIntegrity.WRITES);
        for (Map.Entry<String, List<String>> e : integrity.entrySet()) {
            for (String v : e.getValue()) out.printf("- %s: %s%n", e.getKey(), v);
        }
    }

    private static double medianValue(List<Result> rs) {
        if (rs.isEmpty()) return Double.NaN;
        return median(rs.stream().mapToDouble(Result::value).toArray());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double mib(Map<String, Backend.Memory> m, String backend, java.util.function.ToLongFunction<Backend.Memory> f) {
        if (backend == null || !m.containsKey(backend)) return Double.NaN;
        long kib = f.applyAsLong(m.get(backend));
        return kib < 0 ? Double.NaN : kib / 1024.0;
    }

    private static void row(PrintStream out, String format, String what, double ours, double qemu, String fmt) {
        String ratio = Double.isNaN(ours) || Double.isNaN(qemu) || qemu == 0 ? "-" : String.format(Locale.ROOT, "%.2f", ours / qemu);
        out.printf("| %s | %s | %s | %s | %s |%n", format, what, num(ours, fmt), num(qemu, fmt), ratio);
    }

    private static String num(double v, String fmt) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, fmt, v);
    }
}

package vmd.proc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import vmd.imsg.ChildReady;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgType;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.vhostuser.VhostUserBackend;
import vmd.vhostuser.VhostUserConnection;
import vmd.vhostuser.VhostUserDevice;
import vmd.vhostuser.VhostUserMessage;
import vmd.vhostuser.VhostUserRequest;
import vmd.sys.Fds;
import vmd.sys.PollSet;
import vmd.sys.Signals;
import vmd.sys.UnixSockets;

/**
 * The training runs behind the children's AOT caches ({@link AotCache}), run by
 * {@code vmd-mkaot} at package and install time.
 *
 * <p>Without arguments it makes every cache: one JVM per cache, with the flags of its
 * first kind ({@link ChildJvmFlags}) and {@code -XX:AOTCacheOutput}, running this class
 * with {@code --kinds KIND,...}. For each kind the run does what that process does on its
 * way to ready - the libc downcalls linked and called, sealed guest memory created and
 * mapped, descriptors passed, imsg framed, logging set up - so the cache holds the classes
 * it runs parsed, verified and linked. Then the kind's own workload runs, found by class
 * name as the parent finds a child's main ({@link #WORKLOADS}): this module imports no
 * process's module. A training run does only what its processes do: whatever else it
 * ran (image creation, temporary files and their random names, futures, streams) would
 * be loaded into every process at every start.
 */
public final class AotTraining {
    /** Each kind's workload: a class with {@code public static void train()} in that kind's module. */
    static final java.util.Map<String, String> WORKLOADS = java.util.Map.of("vm", "vmd.vm.AotWorkload",
            "vioblk", "vmd.vioblk.AotWorkload", "vionet", "vmd.vionet.AotWorkload",
            "control", "vmd.parent.control.AotWorkload");

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--kinds")) {
            for (String kind : args[1].split(",")) train(kind);
            Runtime.getRuntime().halt(0); // the cache is written at exit (halt: exit would load the JDK's System.Logger for its exit log, ~20 classes)
        }
        String full = System.getProperty("java.class.path");
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        java.security.SecureRandom random = new java.security.SecureRandom();
        Path images = trainingImages();
        try {
            makeCaches(full, javaBin, random, images);
        } finally {
            for (String image : IMAGES) Files.deleteIfExists(images.resolve(image));
            Files.deleteIfExists(images);
        }
    }

    /** Where the coordinator leaves the images a vioblk training run serves: {@link #IMAGES} in the named directory. */
    public static final String IMAGES_PROPERTY = "vmd.aot.images";
    /** A raw and a qcow2 image of 1 MiB, made by the coordinator so that image creation (a parent's and vmctl's code) is in no child's cache. */
    public static final List<String> IMAGES = List.of("disk.raw", "disk.qcow2");

    private static Path trainingImages() throws IOException {
        Path dir = Files.createTempDirectory("vmd-aot");
        vmd.disk.RawCreator.create(dir.resolve(IMAGES.get(0)), 1 << 20);
        vmd.disk.Qcow2Creator.create(dir.resolve(IMAGES.get(1)), 1 << 20);
        return dir;
    }

    private static void makeCaches(String full, Path javaBin, java.security.SecureRandom random, Path images) throws Exception {
        for (String name : AotCache.CACHES) {
            List<String> kinds = AotCache.kindsOf(name);
            String kind = kinds.get(0); // the kinds of one cache share its class path and all flags but heap sizes
            // The kind's own class path first (a cache serves a class path it is a prefix of,
            // or equal to), then the rest, which the training itself runs from.
            String cp = ChildClassPath.forKind(full, kind);
            List<String> rest = new ArrayList<>(List.of(full.split(java.io.File.pathSeparator)));
            rest.removeAll(List.of(cp.split(java.io.File.pathSeparator)));
            if (!rest.isEmpty()) cp = cp + java.io.File.pathSeparator + String.join(java.io.File.pathSeparator, rest);
            Path cache = AotCache.pathFor(cp, kind);
            if (cache == null) throw new IllegalStateException("AOT caches need a class path of jars, not " + cp);
            Files.deleteIfExists(cache);
            Files.deleteIfExists(AotCache.jvmFile(cache));
            List<String> argv = new ArrayList<>(List.of(javaBin.toString()));
            argv.addAll(ChildJvmFlags.of(kind));
            long base = AotCache.randomBase(random);
            argv.addAll(List.of("-Xlog:aot=warning", "-XX:AOTCacheOutput=" + cache, "-Dvmd.log.level=WARN",
                    "-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTRecordTraining", // no profiles: AotCache says why
                    "-XX:SharedBaseAddress=0x" + Long.toHexString(base), "-D" + IMAGES_PROPERTY + "=" + images,
                    "-cp", cp, AotTraining.class.getName(), "--kinds", String.join(",", kinds)));
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.isReadable(cache)) {
                throw new IllegalStateException("AOT training of " + String.join(", ", kinds) + " failed:\n" + out);
            }
            cache.toFile().setReadable(true, false); // children run as _vmd
            Files.writeString(AotCache.jvmFile(cache), System.getProperty("java.vm.version") + "\n");
            AotCache.jvmFile(cache).toFile().setReadable(true, false);
            System.out.printf("vmd-mkaot: %s (%d KiB, mapped at 0x%x)%n", cache, Files.size(cache) / 1024, base);
            for (String k : kinds) {
                if (LAUNCHED.contains(k)) writeArgFile(cache.resolveSibling("vmd-" + k + ".args"), k, ChildClassPath.forKind(full, k));
                // a cache of the kind's own, from before the kinds of a VM shared one
                if (!k.equals(name)) Files.deleteIfExists(cache.resolveSibling("vmd-" + k + ".aot"));
            }
        }
    }

    /** The kinds that are also programs of their own (bin/vmd-vioblk, bin/vmd-vionet). */
    static final List<String> LAUNCHED = List.of("vioblk", "vionet");

    /**
     * A java argument file ({@code java @FILE}) with what vmd gives a child of the kind -
     * its flags, class path and AOT cache - so the kind's launcher starts the same JVM
     * without a JVM run to ask for them.
     */
    static void writeArgFile(Path file, String kind, String classPath) throws IOException {
        List<String> args = new ArrayList<>(ChildJvmFlags.of(kind));
        args.addAll(AotCache.options(classPath, kind));
        args.addAll(List.of("-cp", classPath));
        StringBuilder b = new StringBuilder("# vmd-mkaot: the JVM options of a " + kind + " process\n");
        for (String a : args) b.append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        Files.writeString(file, b);
        file.toFile().setReadable(true, false);
    }

    static void train(String kind) throws Exception {
        org.slf4j.LoggerFactory.getLogger(AotTraining.class).debug("training {}", kind);
        guestMemory();
        descriptorsAndImsg();
        signals();
        childStart();
        loadPackages(kind);
        try {
            Class.forName(WORKLOADS.get(kind)).getMethod("train").invoke(null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    /** The vm process's create-seal-map and a device's map-received, both under the sealed contract. */
    private static void guestMemory() {
        List<MemoryRegion> layout = List.of(new MemoryRegion(0, 2 << 20, 0));
        GuestMemory created = GuestMemory.create("aot-training", layout);
        GuestMemory mapped = GuestMemory.map(created.fd(), layout);
        created.putLong(4096, 0x1234);
        if (mapped.getLong(4096) != 0x1234 || mapped.buffer(0, 4096).capacity() != 4096) {
            throw new IllegalStateException("guest memory views disagree");
        }
        Fds.close(created.fd());
    }

    /** SCM_RIGHTS, eventfds, poll and an imsg round trip over a socketpair. */
    private static void descriptorsAndImsg() throws Exception {
        int[] pair = UnixSockets.streamPair();
        int efd = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        Fds.eventfdSignal(efd);
        PollSet poll = new PollSet();
        poll.set(efd);
        poll.poll(0);
        Fds.eventfdDrain(efd);
        BlockingQueue<Imsg> got = new LinkedBlockingQueue<>(); // as a child's session queues them
        ImsgChannel a = new ImsgChannel(pair[0], "a");
        ImsgChannel b = new ImsgChannel(pair[1], "b");
        b.start((ch, msg) -> got.add(msg));
        a.start((ch, msg) -> { });
        a.send(Imsg.of(ImsgType.CHILD_READY, new ChildReady("vm", 1)));
        Imsg msg = got.poll(10, TimeUnit.SECONDS);
        if (msg == null) throw new IllegalStateException("no imsg over the socketpair");
        msg.decode(ChildReady::decode);
        // Each device's configuration, as its CHILD_CONFIG carries it.
        Imsg.of(ImsgType.CHILD_CONFIG, new vmd.imsg.VioblkParams("disk0", false, List.of("qcow2", "raw"), "aot", 2))
                .decode(vmd.imsg.VioblkParams::decode);
        Imsg.of(ImsgType.CHILD_CONFIG, new vmd.imsg.VionetParams("net0", "aot", 0xfee1ba000001L, true, 1, 2, 0xfee1ba000002L))
                .decode(vmd.imsg.VionetParams::decode);
        Imsg.of(ImsgType.CHILD_NAME, vmd.imsg.Reason.of("vioblk aot/disk0")).decode(vmd.imsg.Reason::decode);
        if (msg.hasFd()) Fds.close(msg.fd());
        a.close();
        b.close();
        Fds.close(efd);
        int[] raw = UnixSockets.streamPair();
        UnixSockets.sendFully(raw[0], ByteBuffer.wrap(new byte[] {1, 2, 3}), raw[1]);
        UnixSockets.Received r = UnixSockets.receive(raw[1], ByteBuffer.allocate(8));
        for (int fd : r.fds()) Fds.close(fd);
        Fds.close(raw[0]);
        Fds.close(raw[1]);
    }

    private static void signals() throws Exception {
        Thread t = new Thread(() -> {
            var set = Signals.setOf(Signals.sigrtmin() + 2);
            Signals.threadMask(Signals.SIG_BLOCK, set);
            Signals.pthreadKill(Signals.pthreadSelf(), Signals.sigrtmin() + 2);
            Signals.timedWait(set, 1_000_000_000L);
        });
        t.start();
        t.join();
    }

    /**
     * The classes every child loads on its way to ready that no step above runs, named: a
     * child's session and its sandbox can only be linked here, not run (the training JVM
     * is no child of a parent and must not sandbox itself). Missing from the cache, each
     * would be read from its jar, verified and linked at every start.
     */
    static final List<String> CHILD_START_CLASSES = List.of("vmd.proc.ChildProcess", "vmd.proc.ChildSession",
            "vmd.proc.ChildSession$Receiver", "vmd.sys.Seccomp", "vmd.sys.Prctl", "vmd.sys.Processes",
            "vmd.imsg.ChildFd", "vmd.imsg.ImsgDecoder$QueuedFd", "org.slf4j.helpers.MessageFormatter",
            "org.slf4j.helpers.FormattingTuple", "org.slf4j.helpers.NormalizedParameters",
            "java.lang.NumberFormatException", "jdk.internal.misc.Blocker", "jdk.internal.util.HexDigits");

    private static void childStart() throws ClassNotFoundException {
        System.getenv(ChildLauncher.ENV_PARENT_PID); // the JDK's environment classes
        loadClasses(CHILD_START_CLASSES);
    }

    /** Loads and links (does not initialise) the named classes; a name that no longer exists fails the training. */
    public static void loadClasses(List<String> names) throws ClassNotFoundException {
        for (String name : names) Class.forName(name, false, AotTraining.class.getClassLoader());
    }

    /**
     * For the control process, which has a cache of its own, the classes of its package and
     * of the packages every child runs, from the jars on the class path. A VM's kinds load
     * none this way: with the classes linked ahead of time, every process that starts from
     * a cache loads all of it, so each class in the guest cache costs every vm, vioblk and
     * vionet process its share of the cache's written half (~3 KiB a class) and of its
     * read-only pages; the steps above and the workloads load what those processes run,
     * and a class only one of them needs now and then comes from its jar in that process
     * (bench/README.md "Start-up and footprint").
     */
    private static void loadPackages(String kind) throws IOException {
        if (AotCache.GUEST_KINDS.contains(kind)) return;
        if (!kind.equals("control")) throw new IllegalArgumentException("unknown process kind " + kind);
        List<String> prefixes = List.of("vmd/sys/", "vmd/memory/", "vmd/imsg/", "vmd/proc/", "vmd/parent/control/");
        ClassLoader loader = AotTraining.class.getClassLoader();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!entry.endsWith(".jar") || !Path.of(entry).getFileName().toString().startsWith("vmd-")) continue;
            try (JarFile jar = new JarFile(entry)) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (!name.endsWith(".class") || prefixes.stream().noneMatch(name::startsWith)) continue;
                    try {
                        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                    } catch (Throwable notLoadable) {
                        // a class that needs what this kind does not have: not its concern
                    }
                }
            }
        }
    }

    /**
     * A device served over vhost-user as a front-end opens the session: the feature and
     * protocol-feature negotiation, SET_OWNER, the queue count and the config space, then
     * the close. The back-end's message paths are every device kind's.
     */
    public static void serveHandshake(VhostUserDevice device, String name) throws Exception {
        int[] pair = UnixSockets.streamPair();
        Thread backend = new Thread(() -> {
            try {
                new VhostUserBackend(device, name).serve(pair[1]);
            } catch (Exception e) {
                // the front-end went away: the session is over
            }
        }, "aot-backend");
        backend.start();
        try (VhostUserConnection front = new VhostUserConnection(pair[0])) {
            front.send(VhostUserMessage.request(VhostUserRequest.GET_FEATURES));
            long features = front.receive(10_000).u64();
            front.send(VhostUserMessage.request(VhostUserRequest.GET_PROTOCOL_FEATURES));
            long protocol = front.receive(10_000).u64();
            front.send(VhostUserMessage.request(VhostUserRequest.SET_PROTOCOL_FEATURES, VhostUserMessage.u64(protocol)));
            front.send(VhostUserMessage.request(VhostUserRequest.SET_OWNER));
            front.send(VhostUserMessage.request(VhostUserRequest.GET_QUEUE_NUM));
            front.receive(10_000);
            front.send(VhostUserMessage.request(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(features)));
            byte[] config = new byte[12 + 8]; // offset, size, flags, then the bytes asked for
            config[4] = 8;
            front.send(VhostUserMessage.request(VhostUserRequest.GET_CONFIG, config));
            front.receive(10_000);
        }
        backend.join(10_000);
    }
}

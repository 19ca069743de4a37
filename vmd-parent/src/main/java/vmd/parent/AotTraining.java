package vmd.parent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import vmd.imsg.ChildReady;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgType;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.parent.control.ControlServer;
import vmd.proc.AotCache;
import vmd.proc.ChildClassPath;
import vmd.proc.ChildJvmFlags;
import vmd.sys.Fds;
import vmd.sys.PollSet;
import vmd.sys.Signals;
import vmd.sys.UnixSockets;
import vmd.vhostuser.UnixListener;

/**
 * The training runs behind the children's AOT caches ({@link AotCache}), run by
 * {@code vmd-mkaot} at package and install time.
 *
 * <p>Without arguments it trains every kind: one JVM per kind, with exactly that kind's
 * flags ({@link ChildJvmFlags}) and {@code -XX:AOTCacheOutput}, running this class with
 * {@code --kind KIND}. A kind's run does what its process does on its way to ready — the
 * libc downcalls linked and called, sealed guest memory created and mapped, descriptors
 * passed, imsg framed, logging set up — and loads the classes of that process's packages,
 * so the cache holds them parsed, verified and linked.
 */
public final class AotTraining {
    static final List<String> KINDS = List.of("vm", "vioblk", "vionet", "control");

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--kind")) {
            train(args[1]);
            System.exit(0); // the cache is written at exit
        }
        String full = System.getProperty("java.class.path");
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        for (String kind : KINDS) {
            // The kind's own class path first (a cache serves a class path it is a prefix of,
            // or equal to), then the rest, which the training itself runs from.
            String cp = ChildClassPath.forKind(full, kind);
            List<String> rest = new ArrayList<>(List.of(full.split(java.io.File.pathSeparator)));
            rest.removeAll(List.of(cp.split(java.io.File.pathSeparator)));
            if (!rest.isEmpty()) cp = cp + java.io.File.pathSeparator + String.join(java.io.File.pathSeparator, rest);
            Path cache = AotCache.pathFor(cp, kind);
            if (cache == null) throw new IllegalStateException("AOT caches need a class path of jars, not " + cp);
            Files.deleteIfExists(cache);
            List<String> argv = new ArrayList<>(List.of(javaBin.toString()));
            argv.addAll(ChildJvmFlags.of(kind));
            argv.addAll(List.of("-Xlog:aot=warning", "-XX:AOTCacheOutput=" + cache, "-Dvmd.log.level=WARN",
                    "-cp", cp, AotTraining.class.getName(), "--kind", kind));
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.isReadable(cache)) {
                throw new IllegalStateException("AOT training of " + kind + " failed:\n" + out);
            }
            cache.toFile().setReadable(true, false); // children run as _vmd
            System.out.printf("vmd-mkaot: %s (%d KiB)%n", cache, Files.size(cache) / 1024);
        }
    }

    static void train(String kind) throws Exception {
        org.slf4j.LoggerFactory.getLogger(AotTraining.class).debug("training {}", kind);
        guestMemory();
        descriptorsAndImsg();
        signals();
        loadPackages(kind);
        if (kind.equals("control")) controlServer();
        else vhostUserSession();
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
        CompletableFuture<Imsg> got = new CompletableFuture<>();
        ImsgChannel a = new ImsgChannel(pair[0], "a");
        ImsgChannel b = new ImsgChannel(pair[1], "b");
        b.start((ch, msg) -> got.complete(msg));
        a.start((ch, msg) -> { });
        a.send(Imsg.of(ImsgType.CHILD_READY, new ChildReady("vm", 1)));
        Imsg msg = got.get(10, TimeUnit.SECONDS);
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

    /** The classes of the kind's own packages and of the shared ones, from the jars on the class path. */
    private static void loadPackages(String kind) throws IOException {
        List<String> prefixes = new ArrayList<>(List.of("vmd/sys/", "vmd/memory/", "vmd/imsg/", "vmd/proc/"));
        switch (kind) {
            case "vm" -> prefixes.addAll(List.of("vmd/vm/", "vmd/virtio/", "vmd/vhostuser/"));
            case "vioblk" -> prefixes.addAll(List.of("vmd/vioblk/", "vmd/disk/", "vmd/virtio/", "vmd/vhostuser/"));
            case "vionet" -> prefixes.addAll(List.of("vmd/vionet/", "vmd/tap/", "vmd/virtio/", "vmd/vhostuser/"));
            case "control" -> prefixes.add("vmd/parent/control/");
            default -> throw new IllegalArgumentException("unknown process kind " + kind);
        }
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
     * A vhost-user session as a device's start and restart have it: our front-end (the vm
     * process's code) against a vioblk back-end on a socketpair, through the handshake,
     * SET_MEM_TABLE, a ring start, a reconnect with the setup replayed, and the close. The
     * back-end's generic half is every device kind's; the string concatenations, lambdas
     * and message paths it runs are linked in the cache instead of at each start.
     */
    private static void vhostUserSession() throws Exception {
        Path dir = Files.createTempDirectory("vmd-aot");
        Path image = dir.resolve("disk.raw");
        Files.write(image, new byte[1 << 20]);
        List<MemoryRegion> layout = List.of(new MemoryRegion(0, 4 << 20, 0));
        GuestMemory memory = GuestMemory.create("aot-session", layout);
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK), call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        vmd.vm.vhostuser.VhostUserFrontendDevice front = null;
        List<Thread> backends = new ArrayList<>();
        try {
            int[] first = UnixSockets.streamPair();
            backends.add(serveBlock(image, first[1]));
            front = new vmd.vm.vhostuser.VhostUserFrontendDevice(memory, first[0],
                    new vmd.vm.vhostuser.VhostUserFrontendDevice.Options("aot0", vmd.virtio.VirtioIds.BLOCK, 1, 256, 60));
            front.attach(new vmd.vm.virtio.DeviceEvents() {
                @Override
                public void configChanged() {}

                @Override
                public void needsReset(String why) {}
            });
            front.readConfig(0, new byte[8]);
            long features = front.deviceFeatures() & (vmd.virtio.VirtioFeatures.bit(vmd.virtio.VirtioFeatures.VERSION_1)
                    | vmd.virtio.VirtioFeatures.bit(vmd.virtio.VirtioFeatures.RING_EVENT_IDX));
            front.setDriverFeatures(features);
            front.startQueue(new vmd.vm.virtio.QueueSetup(0, 256, 0x10000, 0x20000, 0x30000, kick, call, features, 0));
            int[] second = UnixSockets.streamPair();
            backends.add(serveBlock(image, second[1]));
            front.reconnect(second[0]);
            front.stopQueue(0);
        } finally {
            if (front != null) front.close();
            for (Thread t : backends) t.join(10_000);
            Fds.close(kick);
            Fds.close(call);
            Fds.close(memory.fd());
            Files.deleteIfExists(image);
            Files.deleteIfExists(dir);
        }
    }

    private static Thread serveBlock(Path image, int socket) throws IOException {
        vmd.vioblk.BlockDevice device = new vmd.vioblk.BlockDevice("aot0",
                vmd.vioblk.disk.Qcow2Chain.open(image, false), 1, "aot");
        Thread t = new Thread(() -> {
            try {
                new vmd.vhostuser.VhostUserBackend(device, "aot0").serve(socket);
            } catch (Exception e) {
                // the front-end went away: the session is over
            } finally {
                try {
                    device.close();
                } catch (IOException ignored) {
                    // nothing was written
                }
            }
        }, "aot-backend");
        t.start();
        return t;
    }

    /** The control process's Netty server on a listening socket, with one client. */
    private static void controlServer() throws Exception {
        Path dir = Files.createTempDirectory("vmd-aot");
        Path sock = dir.resolve("control.sock");
        try (UnixListener listener = UnixListener.listen(sock)) {
            int fd = Fds.dup(listener.fd());
            Fds.setNonBlocking(fd, true);
            ControlServer server = new ControlServer(fd, 4, 1 << 16, new ControlServer.Upstream() {
                @Override
                public void forward(Imsg request) {}

                @Override
                public void peerClosed(int peerId) {}
            });
            server.start();
            int client = UnixListener.connect(sock);
            Fds.write(client, ByteBuffer.allocateDirect(16));
            Thread.sleep(200);
            Fds.close(client);
            server.close();
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}

package vmd.parent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.parent.vms.VmFixture;
import vmd.proc.ChildJvmFlags;
import vmd.testing.Prerequisites;
import vmd.testing.ProcFs;
import vmd.testing.TestClasspath;

/**
 * The real daemon end to end: vmd (parent, control process, vm processes) started as a
 * process on a temporary vm.conf and socket, driven by vmctl processes as root, as a VM's
 * owner ("nobody") and as a stranger (the child user with the socket's group).
 */
class VmdEndToEndTest {
    static final String OWNER = "nobody";
    @TempDir
    Path dir;
    private Path conf;
    private Path sock;
    private Process vmd;
    private final StringBuffer vmdLog = new StringBuffer();
    private Thread vmdPump;

    @BeforeEach
    void prerequisites() throws IOException {
        Prerequisites.requireKvm();
        Prerequisites.requireChildUser();
        Prerequisites.require(Files.isReadable(VmFixture.TEST_GUEST), VmFixture.TEST_GUEST.toString());
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        conf = dir.resolve("vm.conf");
        sock = dir.resolve("vmd.sock");
    }

    @AfterEach
    void stopVmd() throws Exception {
        if (vmd != null && vmd.isAlive()) {
            vmd.destroy();
            if (!vmd.waitFor(60, TimeUnit.SECONDS)) vmd.destroyForcibly();
        }
    }

    private String config(String extra) {
        return "user " + Prerequisites.childUser() + "\n"
                + "socket owner root:nogroup\n"
                + "vm \"idle\" {\n  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory 64M\n  owner " + OWNER + "\n  cmdline \"console=ttyS0\"\n}\n"
                + "vm \"off\" {\n  disable\n  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory 32M\n  cmdline \"console=ttyS0\"\n}\n"
                + extra;
    }

    private void startVmd(String extra) throws Exception {
        startVmd(extra, List.of());
    }

    /** Runs vmd under {@code prefix} (e.g. {@code ip netns exec NS}). */
    private void startVmd(String extra, List<String> prefix) throws Exception {
        Files.writeString(conf, config(extra));
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(VmdDaemon.java("vmd.parent.VmdMain"));
        argv.addAll(List.of("-d", "-f", conf.toString(), "-s", sock.toString()));
        vmd = new ProcessBuilder(argv).redirectErrorStream(true).start();
        vmdPump = VmdDaemon.pump(vmd.getInputStream(), vmdLog);
        awaitLog("idle: started vm", Duration.ofSeconds(60));
    }

    private void awaitLog(String marker, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!vmdLog.toString().contains(marker)) {
            if (System.nanoTime() > deadline) throw new AssertionError("vmd never logged \"" + marker + "\":\n" + vmdLog);
            Thread.sleep(50);
        }
    }

    record Result(int rc, String out, String err) {}

    /** Runs vmctl as {@code user} (null: root), with the socket's group for non-root users. */
    private Process vmctlProcess(String user, String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        if (user != null) argv.addAll(List.of("/usr/bin/setpriv", "--reuid=" + user, "--regid=nogroup", "--clear-groups", "--"));
        argv.addAll(VmdDaemon.java("vmd.vmctl.VmctlMain"));
        argv.add("-s");
        argv.add(sock.toString());
        argv.addAll(List.of(args));
        return new ProcessBuilder(argv).start();
    }

    private Result vmctl(String user, String... args) throws Exception {
        Process p = vmctlProcess(user, args);
        p.getOutputStream().close();
        StringBuffer out = new StringBuffer(), err = new StringBuffer();
        Thread a = VmdDaemon.pump(p.getInputStream(), out), b = VmdDaemon.pump(p.getErrorStream(), err);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "vmctl " + String.join(" ", args) + " hangs");
        a.join(5000);
        b.join(5000);
        return new Result(p.exitValue(), out.toString(), err.toString());
    }

    private String status() throws Exception {
        Result r = vmctl(null, "status");
        return r.out();
    }

    private void awaitStatus(String vm, String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String s = status();
            for (String line : s.split("\n")) if (line.endsWith(" " + vm) && line.contains(" " + state + " ")) return;
            if (System.nanoTime() > deadline) throw new AssertionError(vm + " never " + state + ":\n" + s);
            Thread.sleep(300);
        }
    }

    @Test
    void theWholeVmctlSurface() throws Exception {
        startVmd("");
        awaitStatus("idle", "running");

        // status: OpenBSD's header and a row per VM
        Result st = vmctl(null, "stat");
        assertEquals(0, st.rc(), st.err());
        String[] lines = st.out().split("\n");
        assertEquals("   ID   PID VCPUS  MAXMEM  CURMEM     TTY        OWNER    STATE NAME", lines[0]);
        assertTrue(lines[1].matches("    1 +\\d+ +1 +64\\.0M +\\S+ +pts/\\d+ +nobody +running idle"), lines[1]);
        assertEquals("    2     -     1   32.0M       -       -         root  stopped off", lines[2]);
        // status -j: the same inventory, as JSON a real parser reads
        Result json = vmctl(null, "status", "-j");
        assertEquals(0, json.rc(), json.err());
        Process py = new ProcessBuilder("/usr/bin/python3", "-c",
                "import json, sys; d = json.load(sys.stdin); print(' '.join('%s:%s:%s:%s' % (v['name'], v['state'], v['maxmem'], v['pid'] is None) for v in d))")
                .redirectErrorStream(true).start();
        py.getOutputStream().write(json.out().getBytes(StandardCharsets.UTF_8));
        py.getOutputStream().close();
        assertEquals("idle:running:67108864:False off:stopped:33554432:True\n", new String(py.getInputStream().readAllBytes()), json.out());

        // console as the owner: the pty was given to it
        console(OWNER, "idle");
        // a stranger cannot open the console, pause or stop, but may query
        Result c = vmctl(Prerequisites.childUser(), "console", "idle");
        assertEquals(1, c.rc());
        assertTrue(c.err().contains("Permission denied"), c.err());
        Result p = vmctl(Prerequisites.childUser(), "pause", "idle");
        assertEquals(1, p.rc());
        assertEquals("vmctl: pause vm command failed: permission denied\n", p.err());
        Result s = vmctl(Prerequisites.childUser(), "stop", "1");
        assertEquals(1, s.rc());
        assertEquals("stopping vm: failed: permission denied\n", s.err());
        assertEquals(0, vmctl(Prerequisites.childUser(), "status", "idle").rc());
        Result rl = vmctl(Prerequisites.childUser(), "reload");
        assertEquals("vmctl: command failed: permission denied: reload is for root only\n", rl.err());

        // the owner may pause and unpause
        Result po = vmctl(OWNER, "pause", "idle");
        assertEquals("vmctl: paused vm 1 successfully\n", po.err());
        awaitStatus("idle", "paused");
        assertEquals("vmctl: unpaused vm 1 successfully\n", vmctl(OWNER, "unpause", "idle").err());
        awaitStatus("idle", "running");
        console(null, "idle");

        // root starts the disabled VM, another waits for it, it is stopped with -w
        Result started = vmctl(null, "start", "off");
        assertEquals(0, started.rc(), started.err());
        assertTrue(started.err().matches("vmctl: started vm 2 successfully, tty /dev/pts/\\d+\n"), started.err());
        assertEquals(1, vmctl(OWNER, "start", "off").rc(), "the owner of idle does not own off");
        Process waiter = vmctlProcess(null, "wait", "off");
        Thread.sleep(1500);
        Result stop = vmctl(null, "stop", "-w", "off");
        assertEquals("stopping vm off: terminated vm 2\n", stop.err());
        assertTrue(waiter.waitFor(30, TimeUnit.SECONDS));
        assertEquals("waiting for vm off: terminated vm 2\n", new String(waiter.getErrorStream().readAllBytes()));
        awaitStatus("off", "stopped");
        assertEquals("stopping vm off: cannot stop vm that is not running\n", vmctl(null, "stop", "off").err());
        assertEquals("stopping vm nope: vm not found\n", vmctl(null, "stop", "nope").err());

        // ad-hoc VM: exists while it runs
        Result adhoc = vmctl(null, "start", "-b", VmFixture.TEST_GUEST.toString(), "-m", "32M", "-A", "console=ttyS0", "-p", "2", "tmp");
        assertEquals(0, adhoc.rc(), adhoc.err());
        awaitStatus("tmp", "running");
        assertTrue(status().contains("    2   32.0M"), status());
        assertEquals(0, vmctl(null, "stop", "-f", "tmp").rc());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (status().contains(" tmp\n") && System.nanoTime() < deadline) Thread.sleep(200);
        assertTrue(!status().contains(" tmp\n"), "an ad-hoc vm is forgotten when it stops");

        // garbage on the socket, then a flood: the daemon and the VM carry on
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            ch.write(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".repeat(50).getBytes()));
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (ch.read(in) >= 0) in.clear(); // CTL_FAIL, then closed
        }
        for (int i = 0; i < 500; i++) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(sock));
            }
        }
        awaitStatus("idle", "running");

        // reload adds a VM and starts it; running ones are untouched
        String before = status().split("\n")[1];
        Files.writeString(conf, config("vm \"added\" {\n  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory 32M\n  cmdline \"console=ttyS0\"\n}\n"));
        assertEquals(0, vmctl(null, "reload").rc());
        awaitStatus("added", "running");
        assertEquals(before.replaceAll(" +\\S+ +pts", " pts"), status().split("\n")[1].replaceAll(" +\\S+ +pts", " pts"));

        // log level, reset switches: root only, accepted
        assertEquals(0, vmctl(null, "log", "verbose").rc());
        awaitLog(vmdLog, "(?m)^.*vm idle: .*log level verbose$"); // running children follow, not only the parent
        assertEquals(0, vmctl(null, "log", "brief").rc());
        awaitLog(vmdLog, "(?m)^.*vm idle: .*log level brief$");

        // SIGTERM: every guest gets the power button, then vmd exits
        // (through the handle: Process.destroy() would also close our end of its output)
        vmd.toHandle().destroy();
        assertTrue(vmd.waitFor(90, TimeUnit.SECONDS), "vmd did not exit:\n" + vmdLog);
        vmdPump.join(10_000);
        assertTrue(vmdLog.toString().contains("terminating"), "exit " + vmd.exitValue() + "\n" + vmdLog);
        assertTrue(!Files.exists(sock), "socket removed at exit:\n" + vmdLog);
    }

    /**
     * The control socket under abuse: 1,000 connections from four threads send garbage,
     * oversized lengths, half frames, descriptor floods, or nothing, and drop; meanwhile a
     * well-behaved vmctl runs status, start and stop, every one of which must succeed.
     * Afterwards the parent's and the control process's descriptors are back to their
     * baseline, and the control process's memory stays under its heap ceiling.
     */
    @Test
    void theControlSocketServesVmctlThroughAFlood() throws Exception {
        startVmd("");
        awaitStatus("idle", "running");
        ProcessHandle parent = vmd.toHandle();
        ProcessHandle control = parent.children()
                .filter(c -> c.info().commandLine().orElse("").contains("vmd.parent.control.ControlMain"))
                .findFirst().orElseThrow(() -> new AssertionError("no control process under vmd"));
        // the baseline after one start and stop of "off", so what that leaves behind by design
        // (its console pty) is in it; a descriptor more after the flood is a leak
        assertEquals(0, vmctl(null, "start", "off").rc());
        assertEquals(0, vmctl(null, "stop", "-f", "-w", "off").rc());
        Thread.sleep(1000);
        int parentFds = ProcFs.fds(parent.pid()).size(), controlFds = ProcFs.fds(control.pid()).size();
        long parentRss = rssKib(parent.pid()), controlRss = rssKib(control.pid());

        long[] rss = new long[3];
        for (int flood = 1; flood <= 2; flood++) {
            floodWhileVmctlWorks();
            awaitAtMost(parent.pid(), parentFds, "parent");
            awaitAtMost(control.pid(), controlFds, "control process");
            rss[flood] = rssKib(control.pid());
            System.out.printf("after flood %d: RSS (KiB) parent %d -> %d, control %d -> %d%n", flood, parentRss, rssKib(parent.pid()),
                    controlRss, rss[flood]);
        }
        // bounded: garbage from the floods pages in the control process's heap up to its
        // ceiling (-Xmx), and code and metaspace grow a little; nothing grows per connection
        long ceiling = controlRss + heapMaxKib("control") + 8 * 1024;
        assertTrue(rss[1] < ceiling && rss[2] < ceiling,
                "control process RSS " + controlRss + " -> " + rss[1] + " -> " + rss[2] + " KiB, bound " + ceiling);
        assertTrue(rssKib(parent.pid()) < parentRss + 16 * 1024, "parent RSS " + parentRss + " -> " + rssKib(parent.pid()) + " KiB");
        assertTrue(control.isAlive() && parent.isAlive());
        awaitStatus("idle", "running");
    }

    private void floodWhileVmctlWorks() throws Exception {
        ControlFlood flood = new ControlFlood(sock, 4, 1000);
        flood.start();
        try {
            for (int round = 0; round < 2; round++) {
                Result st = vmctl(null, "status");
                assertEquals(0, st.rc(), "status during the flood: " + st.err());
                assertTrue(st.out().contains(" idle\n"), st.out());
                Result start = vmctl(null, "start", "off");
                assertEquals(0, start.rc(), "start during the flood: " + start.err());
                Result stop = vmctl(null, "stop", "-f", "-w", "off");
                assertEquals(0, stop.rc(), "stop during the flood: " + stop.err());
            }
        } finally {
            flood.finish();
        }
        assertEquals(1000, flood.connections(), "every abusive connection was made");
        System.out.println("flood: " + flood);
    }

    private static long heapMaxKib(String kind) {
        String xmx = ChildJvmFlags.of(kind).stream().filter(f -> f.startsWith("-Xmx")).findFirst().orElseThrow();
        return Long.parseLong(xmx.substring(4, xmx.length() - 1)) * 1024; // -XmxNNm
    }

    private static long rssKib(long pid) {
        return Long.parseLong(ProcFs.status(pid, "VmRSS").replace("kB", "").trim());
    }

    private static void awaitAtMost(long pid, int baseline, String who) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int now;
        while ((now = ProcFs.fds(pid).size()) > baseline) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(who + " holds " + now + " descriptors, " + baseline + " before the flood: " + ProcFs.fds(pid));
            }
            Thread.sleep(200);
        }
    }

    /**
     * SIGKILL of one VM's vm process under a running daemon: vmd and the other VM (its vm
     * process, vioblk and vionet, and its guest's disk) are untouched, and the dead VM's
     * own device processes exit. The daemon runs in a network namespace of the test's own.
     */
    @Test
    void aKilledVmProcessTakesOnlyItsOwnDevices() throws Exception {
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        String ns = "vmdtest-k-" + ProcessHandle.current().pid();
        assertEquals(0, new ProcessBuilder("/usr/sbin/ip", "netns", "add", ns).inheritIO().start().waitFor());
        try {
            new ProcessBuilder("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up").inheritIO().start().waitFor();
            StringBuilder vms = new StringBuilder();
            for (String name : List.of("doomed", "bystander")) {
                Path disk = dir.resolve(name + ".raw");
                Files.write(disk, new byte[4 << 20]);
                Files.setPosixFilePermissions(disk, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                vms.append("vm \"").append(name).append("\" {\n  boot \"").append(VmFixture.TEST_GUEST)
                        .append("\"\n  memory 64M\n  disk \"").append(disk).append("\"\n  local interface\n  cmdline \"console=ttyS0\"\n}\n");
            }
            startVmd(vms.toString(), List.of("/usr/sbin/ip", "netns", "exec", ns));
            awaitStatus("doomed", "running");
            awaitStatus("bystander", "running");
            ProcessHandle parent = vmd.toHandle();
            Map<String, Long> before = children(parent);
            for (String name : List.of("vm doomed", "vioblk doomed/disk0", "vionet doomed/net0", "vm bystander",
                    "vioblk bystander/disk0", "vionet bystander/net0")) {
                assertTrue(before.containsKey(name), name + " runs: " + before);
            }
            long t0 = System.nanoTime();
            assertEquals(0, new ProcessBuilder("kill", "-KILL", Long.toString(before.get("vm doomed"))).start().waitFor());
            awaitStatus("doomed", "stopped");
            for (String device : List.of("vioblk doomed/disk0", "vionet doomed/net0")) {
                ProcessHandle h = ProcessHandle.of(before.get(device)).orElse(null);
                if (h != null) h.onExit().get(30, TimeUnit.SECONDS);
            }
            System.out.printf("vm kill: the dead VM's devices gone %d ms after the kill%n", (System.nanoTime() - t0) / 1_000_000);
            Map<String, Long> after = children(parent);
            assertTrue(parent.isAlive(), "vmd survives");
            for (String name : List.of("vm bystander", "vioblk bystander/disk0", "vionet bystander/net0")) {
                assertEquals(before.get(name), after.get(name), name + " untouched: " + after);
            }
            assertTrue(after.keySet().stream().noneMatch(n -> n.contains("doomed")), "nothing of doomed is left: " + after);
            // the bystander's guest still reads and writes its disk
            String tty = status().lines().filter(l -> l.endsWith(" bystander")).findFirst().orElseThrow()
                    .replaceAll(".* (pts/\\d+) .*", "/dev/$1");
            StringBuffer console = new StringBuffer();
            try (InputStream in = Files.newInputStream(Path.of(tty)); OutputStream out = Files.newOutputStream(Path.of(tty))) {
                Thread t = VmdDaemon.pump(in, console);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!console.toString().contains("VMDTEST OK blk")) {
                    assertTrue(System.nanoTime() < deadline && !console.toString().contains("VMDTEST FAIL blk"),
                            "the bystander's blk:\n" + console);
                    if (!console.toString().contains("guest> blk")) {
                        out.write("blk\r".getBytes());
                        out.flush();
                    }
                    Thread.sleep(500);
                }
                t.interrupt();
            }
        } finally {
            stopVmd();
            new ProcessBuilder("/usr/sbin/ip", "netns", "del", ns).inheritIO().start().waitFor();
        }
    }

    /** vmd's children by their vmd.process name ("vm NAME", "vioblk NAME/disk0", ...). */
    private static Map<String, Long> children(ProcessHandle parent) {
        Map<String, Long> out = new java.util.TreeMap<>();
        parent.descendants().forEach(p -> {
            String cmd = p.info().commandLine().orElse("");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("-Dvmd\\.process=(\\S+(?: \\S+)?) -").matcher(cmd);
            if (m.find() && !cmd.startsWith("/usr/bin/setpriv")) out.put(m.group(1), p.pid());
        });
        return out;
    }

    private static void awaitLog(CharSequence log, String regex) throws InterruptedException {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!p.matcher(log).find()) {
            assertTrue(System.nanoTime() < deadline, "the log never matched " + regex + ":\n" + log);
            Thread.sleep(100);
        }
    }

    /** vmctl console as {@code user}: "help" is answered, "~." detaches. */
    private void console(String user, String vm) throws Exception {
        Process p = vmctlProcess(user, "console", vm);
        StringBuffer out = new StringBuffer(), err = new StringBuffer();
        VmdDaemon.pump(p.getInputStream(), out);
        VmdDaemon.pump(p.getErrorStream(), err);
        OutputStream in = p.getOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!out.toString().contains("VMDTEST OK help")) {
            if (System.nanoTime() > deadline || !p.isAlive()) throw new AssertionError("no help from the guest: " + out + err);
            in.write("help\r".getBytes());
            in.flush();
            Thread.sleep(1000);
        }
        in.write("~.".getBytes());
        in.flush();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "~. did not detach");
        assertEquals(0, p.exitValue(), err.toString());
    }

    @Test
    void daemonizesWithPidfileAndReloadsOnSighup() throws Exception {
        Path pidFile = dir.resolve("vmd.pid");
        Files.writeString(conf, "user " + Prerequisites.childUser() + "\n");
        List<String> argv = VmdDaemon.java("vmd.parent.VmdMain");
        argv.addAll(List.of("-f", conf.toString(), "-s", sock.toString(), "-p", pidFile.toString()));
        Process starter = new ProcessBuilder(argv).redirectErrorStream(true).start();
        assertTrue(starter.waitFor(60, TimeUnit.SECONDS), "vmd without -d returns once the daemon is up");
        assertEquals(0, starter.exitValue(), new String(starter.getInputStream().readAllBytes()));
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        try {
            assertTrue(daemon.isAlive());
            Result r = vmctl(null, "status");
            assertEquals("   ID   PID VCPUS  MAXMEM  CURMEM     TTY        OWNER    STATE NAME\n", r.out());
            // SIGHUP: a VM added to vm.conf appears and starts
            Files.writeString(conf, config(""));
            new ProcessBuilder("kill", "-HUP", Long.toString(pid)).start().waitFor();
            awaitStatus("idle", "running");
        } finally {
            new ProcessBuilder("kill", "-TERM", Long.toString(pid)).start().waitFor();
            daemon.onExit().get(90, TimeUnit.SECONDS);
        }
        assertTrue(!Files.exists(pidFile), "pidfile removed at exit");
    }

    /**
     * {@code vmctl start -L}: a local interface, DHCP answered by vionet, the host side
     * reachable. The whole daemon runs in a network namespace this test creates, so the tap
     * and its /31 never touch the machine's own network.
     */
    @Test
    void startWithALocalInterfaceGetsAnAddressAndReachesTheHost() throws Exception {
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        String ns = "vmdtest-L-" + ProcessHandle.current().pid();
        assertEquals(0, new ProcessBuilder("/usr/sbin/ip", "netns", "add", ns).inheritIO().start().waitFor());
        try {
            new ProcessBuilder("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up").inheritIO().start().waitFor();
            startVmd("", List.of("/usr/sbin/ip", "netns", "exec", ns));
            Result r = vmctl(null, "start", "-L", "-m", "64M", "-b", VmFixture.TEST_GUEST.toString(),
                    "-A", "console=ttyS0 vmdtest=net", "localnet");
            assertEquals(0, r.rc(), r.err());
            String tty = r.err().replaceAll("(?s).*tty (/dev/pts/[0-9]+).*", "$1").trim();
            assertTrue(tty.startsWith("/dev/pts/"), r.err());
            StringBuffer console = new StringBuffer();
            try (InputStream in = Files.newInputStream(Path.of(tty))) {
                Thread t = VmdDaemon.pump(in, console);
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (!console.toString().contains("VMDTEST OK net") && !console.toString().contains("VMDTEST FAIL net")) {
                    assertTrue(System.nanoTime() < deadline, "the guest's net command never finished:\n" + console);
                    Thread.sleep(50);
                }
                assertTrue(console.toString().contains("VMDTEST OK net"), console.toString());
                assertTrue(console.toString().contains("net: echo reply 3 from 100.64."), console.toString());
                t.interrupt();
            }
            vmctl(null, "stop", "-f", "-w", "localnet");
        } finally {
            stopVmd();
            new ProcessBuilder("/usr/sbin/ip", "netns", "del", ns).inheritIO().start().waitFor();
        }
    }

    /**
     * {@code vmctl send ID > file} then {@code vmctl receive NAME < file}: the guest's
     * counter continues, and its net and blk commands pass through the new vionet and
     * vioblk processes. The daemon runs in a network namespace this test creates.
     */
    @Test
    void sendAndReceiveMoveARunningGuestThroughAFile() throws Exception {
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        String ns = "vmdtest-snap-" + ProcessHandle.current().pid();
        Path disk = dir.resolve("mover.raw");
        Files.write(disk, new byte[4 << 20]);
        Path stream = dir.resolve("mover.snap");
        assertEquals(0, new ProcessBuilder("/usr/sbin/ip", "netns", "add", ns).inheritIO().start().waitFor());
        try {
            new ProcessBuilder("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up").inheritIO().start().waitFor();
            startVmd("vm \"mover\" {\n  disable\n  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory 64M\n  owner " + OWNER
                    + "\n  disk \"" + disk + "\"\n  local interface\n  cmdline \"console=ttyS0 vmdtest=net,count\"\n}\n",
                    List.of("/usr/sbin/ip", "netns", "exec", ns));
            Result r = vmctl(null, "start", "mover");
            assertEquals(0, r.rc(), r.err());
            String tty = r.err().replaceAll("(?s).*tty (/dev/pts/[0-9]+).*", "$1").trim();
            StringBuffer console = new StringBuffer();
            try (InputStream in = Files.newInputStream(Path.of(tty)); var out = Files.newOutputStream(Path.of(tty))) {
                Thread t = VmdDaemon.pump(in, console);
                awaitText(console, "count 3\r", 0);
                assertTrue(console.toString().contains("VMDTEST OK net"), console.toString());

                // sent by the VM's owner, not root
                Process send = vmctlProcessTo(OWNER, stream, null, "send", "mover");
                assertTrue(send.waitFor(90, TimeUnit.SECONDS));
                String sendErr = new String(send.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, send.exitValue(), sendErr + "\n" + vmdLog);
                assertTrue(sendErr.contains("sent vm "), sendErr);
                awaitStatus("mover", "stopped");
                assertTrue(Files.size(stream) > 4096, "stream of " + Files.size(stream) + " bytes");
                long last = lastCount(console.toString());
                int mark = console.length();

                Process recv = vmctlProcessTo(OWNER, null, stream, "receive", "mover");
                assertTrue(recv.waitFor(90, TimeUnit.SECONDS));
                String recvErr = new String(recv.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, recv.exitValue(), recvErr + "\n" + vmdLog);
                assertTrue(recvErr.contains("received vm "), recvErr);
                awaitStatus("mover", "running");
                awaitText(console, "count " + (last + 3) + "\r", mark);
                assertFalse(console.substring(mark).contains("vmd test guest"), "booted again:\n" + console.substring(mark));

                out.write("x".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                awaitText(console, "VMDTEST OK count", mark);
                int net = console.length();
                out.write("net\r".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                awaitText(console, "VMDTEST OK net", net);
                int blk = console.length();
                out.write("blk\r".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                awaitText(console, "VMDTEST OK blk", blk);
                t.interrupt();
            }
            // a second receive of a running VM is refused, the VM untouched
            Process again = vmctlProcessTo(null, null, stream, "receive", "mover");
            assertTrue(again.waitFor(90, TimeUnit.SECONDS));
            assertEquals(1, again.exitValue());
            assertTrue(new String(again.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).contains("already running"));
            awaitStatus("mover", "running");
            vmctl(null, "stop", "-f", "-w", "mover");
        } finally {
            stopVmd();
            new ProcessBuilder("/usr/sbin/ip", "netns", "del", ns).inheritIO().start().waitFor();
        }
    }

    /**
     * {@code vmctl send a | vmctl receive b}: the stream through a pipe, as through ssh to
     * another host, into another VM of the same shape; the guest counts on there.
     */
    @Test
    void sendPipedIntoReceiveMovesAGuestToAnotherVm() throws Exception {
        String shape = "  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory 48M\n  owner " + OWNER + "\n  cmdline \"console=ttyS0 vmdtest=count\"\n}\n";
        startVmd("vm \"counter\" {\n  disable\n" + shape + "vm \"twin\" {\n  disable\n" + shape);
        try {
            Result r = vmctl(null, "start", "counter");
            assertEquals(0, r.rc(), r.err());
            StringBuffer console = new StringBuffer();
            try (InputStream in = Files.newInputStream(Path.of(r.err().replaceAll("(?s).*tty (/dev/pts/[0-9]+).*", "$1").trim()))) {
                Thread t = VmdDaemon.pump(in, console);
                awaitText(console, "count 3\r", 0);
                List<String> vmctl = new ArrayList<>(VmdDaemon.java("vmd.vmctl.VmctlMain"));
                vmctl.addAll(List.of("-s", sock.toString()));
                List<String> send = new ArrayList<>(vmctl), receive = new ArrayList<>(vmctl);
                send.addAll(List.of("send", "counter"));
                receive.addAll(List.of("receive", "twin"));
                List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                        new ProcessBuilder(send).redirectError(ProcessBuilder.Redirect.PIPE),
                        new ProcessBuilder(receive).redirectError(ProcessBuilder.Redirect.PIPE)));
                for (Process p : pipeline) assertTrue(p.waitFor(90, TimeUnit.SECONDS));
                String sendErr = new String(pipeline.get(0).getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                String recvErr = new String(pipeline.get(1).getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, pipeline.get(0).exitValue(), sendErr + "\n" + vmdLog);
                assertEquals(0, pipeline.get(1).exitValue(), recvErr + "\n" + vmdLog);
                t.interrupt();
                long last = lastCount(console.toString());
                awaitStatus("counter", "stopped");
                awaitStatus("twin", "running");
                StringBuffer twin = new StringBuffer();
                try (InputStream in2 = Files.newInputStream(Path.of(recvErr.replaceAll("(?s).*tty (/dev/pts/[0-9]+).*", "$1").trim()))) {
                    Thread t2 = VmdDaemon.pump(in2, twin);
                    awaitText(twin, "count " + (last + 3) + "\r", 0);
                    assertFalse(twin.toString().contains("vmd test guest"), "booted again:\n" + twin);
                    t2.interrupt();
                }
            }
            vmctl(null, "stop", "-f", "-w", "twin");
        } finally {
            stopVmd();
        }
    }

    /** vmctl with its stdout and/or stdin on files (a null leaves it a pipe). */
    private Process vmctlProcessTo(String user, Path stdout, Path stdin, String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        if (user != null) argv.addAll(List.of("/usr/bin/setpriv", "--reuid=" + user, "--regid=nogroup", "--clear-groups", "--"));
        argv.addAll(VmdDaemon.java("vmd.vmctl.VmctlMain"));
        argv.addAll(List.of("-s", sock.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (stdout != null) pb.redirectOutput(stdout.toFile());
        if (stdin != null) pb.redirectInput(stdin.toFile());
        return pb.start();
    }

    private static void awaitText(StringBuffer console, String text, int from) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (console.indexOf(text, from) < 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("console never showed \"" + text.trim() + "\":\n" + console);
            Thread.sleep(50);
        }
    }

    private static long lastCount(String console) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("count (\\d+)\r").matcher(console);
        long last = -1;
        while (m.find()) last = Long.parseLong(m.group(1));
        return last;
    }
}

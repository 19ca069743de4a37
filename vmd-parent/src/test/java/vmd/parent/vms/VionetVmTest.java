package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.VmConfig;
import vmd.sys.Signals;
import vmd.testing.Prerequisites;

/**
 * A VM with a {@code local interface}, started as vmd starts it: the parent creates the
 * tap and its /31, a sandboxed vionet process serves it, and the test guest's {@code net}
 * command gets its address by DHCP, resolves and pings the host side and sends UDP
 * datagrams the host checks. The parent's event thread enters a network namespace of the
 * test first, so the tap, its address and the listener never touch the host's network.
 * Then the vionet process is killed with SIGKILL: the parent restarts it and the guest's
 * network works again; killed once more, past its restart budget, the VM keeps running
 * with the link down and its status says why.
 */
class VionetVmTest {
    private static final Duration BOOT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    static final String SERVER = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5555))",
            "print('READY', flush=True)",
            "h = 2166136261; n = 0",
            "while n < int(sys.argv[1]):",
            "    d, a = s.recvfrom(65536)",
            "    for b in d: h = ((h ^ b) * 16777619) & 0xffffffff",
            "    n += 1",
            "print('FNV %08x %d' % (h, n), flush=True)",
            "");

    @Test
    void guestGetsDhcpPingsTheHostAndSurvivesItsVionetDying() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        Prerequisites.requireTool("/usr/bin/python3");
        String ns = "vmdtest-vm-" + ProcessHandle.current().pid();
        run("/usr/sbin/ip", "netns", "add", ns);
        Process server = null;
        try (VmFixture f = new VmFixture()) {
            run("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up");
            Path script = dir.resolve("udp.py");
            Files.writeString(script, SERVER);
            server = new ProcessBuilder("/usr/sbin/ip", "netns", "exec", ns, "/usr/bin/python3", script.toString(), "64")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("udp.log").toFile()).start();
            ParentNetns.enter(f, ns);

            // Two vCPUs: two queue pairs on a multi-queue tap; the test guest takes MQ and uses pair 1.
            VmConfig c = VmConfig.builder("nettest").boot(VmFixture.TEST_GUEST.toString()).memory(128L << 20).cpus(2)
                    .iface(new InterfaceConfig(true, null, null, null, false, null, -1, true))
                    .cmdline("console=ttyS0 vmdtest=net").deviceRestarts(new vmd.parent.config.DeviceRestarts(1, 60)).build();
            Vm vm = f.start(c);
            try {
                f.awaitConsole("VMDTEST OK net", BOOT);
            } finally {
                System.err.println(f.console());
            }
            String console = f.console();
            String host = "100.64." + vm.id() + ".2", guest = "100.64." + vm.id() + ".3";
            assertTrue(console.contains("net: address " + guest + "/31 router " + host), console);
            assertTrue(console.contains("net: echo reply 3 from " + host), console);
            assertTrue(console.contains("net: mq: 2 pairs; bad command ack 1; VQ_PAIRS_SET 2 ack 0"),
                    "vionet served the control queue through our front-end: " + console);
            assertTrue(console.contains(" on pair 1 fnv1a "), console);
            String taps = run("/usr/sbin/ip", "-n", ns, "-o", "addr", "show");
            assertTrue(taps.contains(host + "/31"), "the parent configured the host side: " + taps);
            assertTrue(run("/usr/sbin/ip", "-n", ns, "-o", "link", "show").contains("alias vm" + vm.id() + "-if0-nettest"),
                    "described as OpenBSD's vmd does");
            String details = run("/usr/sbin/ip", "-n", ns, "-d", "-o", "link", "show", "type", "tun");
            assertTrue(details.contains("multi_queue"), "the parent made a multi-queue tap: " + details);

            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the host received every datagram");
            Matcher m = Pattern.compile("FNV (\\w+) 64").matcher(Files.readString(dir.resolve("udp.log")));
            assertTrue(m.find(), Files.readString(dir.resolve("udp.log")));
            assertTrue(console.contains("fnv1a " + m.group(1)), "guest and host agree on the data: " + m.group(1));

            // SIGKILL the vionet process: the VM runs on, its status says why.
            DeviceProcess vionet = f.onEvents(() -> vm.devices.stream().filter(d -> d.name().startsWith("vionet")).findFirst().orElseThrow());
            int pid = vionet.pid();
            // DESIGN.md section 2 in the vionet process: guest RAM mapped shared, sealed, not dumped, not forked.
            long guestRam = -1;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
                if (line.contains("/memfd:")) {
                    guestRam = Long.parseUnsignedLong(line.substring(0, line.indexOf('-')), 16);
                    break;
                }
            }
            assertTrue(guestRam > 0, "vionet maps guest memory");
            vmd.testing.MemoryContract.assertSealedGuestMapping(pid, guestRam);
            Object own = Files.getAttribute(Path.of("/proc/" + pid + "/ns/net"), "unix:ino");
            assertNotEquals(Files.getAttribute(Path.of("/run/netns/" + ns), "unix:ino"), own, "vionet has its own network namespace");
            assertNotEquals(Files.getAttribute(Path.of("/proc/thread-self/ns/net"), "unix:ino"), own, "not the host's either");
            // Killed once: the parent restarts it on the same tap, the guest's DHCP and pings work again.
            Signals.kill(pid, Signals.SIGKILL);
            DeviceCrashTest.awaitReason(f, vm, "killed by signal 9; restarted");
            String reason = f.onEvents(vm::lastReason);
            assertTrue(reason.startsWith("vionet nettest/net0"), reason);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!(f.onEvents(vionet::alive) && f.onEvents(vionet::pid) != pid) && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertNotEquals(pid, (int) f.onEvents(vionet::pid), "a new vionet process runs");
            // As a guest's stack waits for carrier: the link comes back up once the new process is connected.
            int mark = awaitLink(f, "up");
            mark = f.mark();
            f.type("net\r");
            f.awaitConsole("VMDTEST OK net", BOOT, mark);
            assertTrue(f.console().indexOf("net: echo reply 3 from " + host, mark) > 0, f.console());

            // Killed again, past its budget (one restart): the VM runs on with the link down, and says why.
            Signals.kill(f.onEvents(vionet::pid), Signals.SIGKILL);
            DeviceCrashTest.awaitReason(f, vm, "not restarted");
            assertFalse(f.onEvents(() -> vm.devices.contains(vionet)), "the parent let vionet go");
            assertTrue(f.onEvents(() -> vm.process != null && vm.state() != VmState.STOPPED), "the VM keeps running");
            awaitLink(f, "down");
        } finally {
            if (server != null) server.destroyForcibly();
            try {
                run("/usr/sbin/ip", "netns", "del", ns);
            } catch (IllegalStateException e) {
                System.err.println(e.getMessage());
            }
        }
    }

    /** Asks the guest for its link state until it is {@code state}; returns where the last answer starts. */
    static int awaitLink(VmFixture f, String state) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            int mark = f.mark();
            f.type("link\r");
            f.awaitConsole("VMDTEST OK link", Duration.ofSeconds(30), mark);
            if (f.console().indexOf("link: " + state, mark) > 0) return mark;
            assertTrue(System.currentTimeMillis() < deadline, "the guest never saw its link " + state + ": " + f.console().substring(mark));
            Thread.sleep(100);
        }
    }

    /**
     * A switch: the parent creates its bridge inside the test's namespace, puts the VM's tap
     * on it with the switch's group, and hands vionet a locked interface with vm.conf's lladdr.
     */
    @Test
    void switchBecomesABridgeWithTheTapOnIt() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        String ns = "vmdtest-sw-" + ProcessHandle.current().pid();
        run("/usr/sbin/ip", "netns", "add", ns);
        try (VmFixture f = new VmFixture()) {
            ParentNetns.enter(f, ns);
            vmd.parent.config.IpPrefix prefix = new vmd.parent.config.IpPrefix(java.net.InetAddress.getByName("100.64.0.0"), 10);
            f.onEvents(() -> f.registry().network(prefix,
                    List.of(new vmd.parent.config.SwitchConfig("uplink", true, "vmdtbr0", "7", true, -1, true))));
            VmConfig c = VmConfig.builder("swtest").boot(VmFixture.TEST_GUEST.toString()).memory(128L << 20).cpus(1)
                    .iface(new InterfaceConfig(false, "vmdttap0", "uplink", vmd.parent.config.MacAddress.parse("02:00:00:aa:bb:cc"),
                            false, null, -1, true))
                    .cmdline("console=ttyS0").build();
            f.start(c);
            f.awaitConsole("VMDTEST READY", BOOT);
            String links = run("/usr/sbin/ip", "-n", ns, "-o", "-d", "link", "show", "vmdttap0");
            assertTrue(links.contains("master vmdtbr0"), links);
            assertTrue(links.contains("group 7"), links);
            assertTrue(run("/usr/sbin/ip", "-n", ns, "-o", "-d", "link", "show", "vmdtbr0").contains("bridge"));
            f.type("pci\r");
            f.awaitConsole("VMDTEST OK pci", Duration.ofSeconds(30));
            assertTrue(f.console().contains("1af4:1041"), f.console());
        } finally {
            run("/usr/sbin/ip", "netns", "del", ns);
        }
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        return out;
    }
}

package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.tap.TapFd;
import vmd.testing.Prerequisites;
import vmd.vhostuser.BackendServer;
import vmd.vhostuser.UnixListener;
import vmd.vhostuser.VhostUserBackend;

/**
 * Our vionet as the back-end of QEMU's virtio-net-pci (-netdev vhost-user) under TCG: the
 * Debian kernel's virtio-net driver gets its address from our DHCP responder (busybox
 * udhcpc), pings the host side and moves data both ways; both sides' sha256s must agree.
 * The tap is created here and moved into a network namespace of this test, where the
 * host side address and the servers live.
 *
 * <p>{@code vectors=0} (INTx): QEMU 7.2 (Debian 12) segfaults in msix_set_vector_notifiers
 * when a TCG guest's virtio-net driver starts a vhost-user net device with MSI-X.
 */
class QemuNetInteropTest {
    static final String QEMU = QemuNetGuest.QEMU;
    static final Path IMAGES = Path.of(System.getenv().getOrDefault("VMD_GUEST_IMAGES", "/var/cache/vmd/guest-images"));
    static final String MAC = "52:54:00:12:34:56";
    static final int KB = 2048;

    @TempDir
    Path dir;

    static final String SERVER = String.join("\n",
            "import hashlib, socket, sys",
            "addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
            "def listen(p):",
            "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, p)); s.listen(1); return s",
            "a, b = listen(port), listen(port + 1)",
            "print('READY', flush=True)",
            "c, _ = a.accept(); h = hashlib.sha256(); t = 0",
            "while True:",
            "    d = c.recv(65536)",
            "    if not d: break",
            "    h.update(d); t += len(d)",
            "c.close(); print('RECEIVED', h.hexdigest(), t, flush=True)",
            "data = bytes((i * 7 + 3) % 251 for i in range(n))",
            "c, _ = b.accept(); c.sendall(data); c.close()",
            "print('SENT', hashlib.sha256(data).hexdigest(), len(data), flush=True)",
            "");

    @Test
    void linuxGuestGetsDhcpPingsAndTransfers() throws Exception {
        linuxGuest(1);
    }

    /**
     * Two queue pairs ({@code queues=2}, {@code mq=on}, two vCPUs): QEMU keeps the control
     * queue and enables pair 1's rings when the guest's driver asks for two pairs (Linux
     * asks for min(max pairs, CPUs)); vionet must then serve four rings on two tap queues.
     */
    @Test
    void linuxGuestUsesTwoQueuePairs() throws Exception {
        NetCounters c = linuxGuest(2);
        assertEquals(2, c.mostPairsActive.get(), "both pairs served: " + c);
        // Linux picks a transmit queue per CPU (XPS) and the tap returns a flow on the queue it
        // came by: DHCP, ping and two TCP transfers from processes on two vCPUs use both pairs.
        assertEquals(2, c.pairsUsed(), "both pairs carried frames: " + c);
    }

    NetCounters linuxGuest(int pairs) throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.requireTool(QEMU);
        Prerequisites.requireTool("/usr/bin/python3");
        Prerequisites.require(NetNs.available(), "/usr/sbin/ip and /dev/net/tun");
        Prerequisites.require(Files.exists(IMAGES.resolve("vmlinuz")) && Files.exists(IMAGES.resolve("initramfs.cpio.gz")),
                "guest images in " + IMAGES + " (run scripts/guest-images.sh as root)");
        String tapName = "vmdq" + pairs + ProcessHandle.current().pid() % 100000;
        try (NetNs ns = NetNs.create("vmdtest-net")) {
            List<TapFd> taps = TapFd.open(tapName, pairs);
            assertEquals(pairs, taps.size());
            TapFd tap = taps.get(0);
            ns.adopt(tapName);
            ns.exec(NetNs.IP, "addr", "add", "100.64.1.2/31", "dev", tapName);
            ns.exec(NetNs.IP, "link", "set", tapName, "up");
            Path script = dir.resolve("server.py");
            Files.writeString(script, SERVER);
            Path serverLog = dir.resolve("server.log");
            Process server = ns.start(serverLog, "/usr/bin/python3", script.toString(), "100.64.1.2", "5555",
                    String.valueOf(KB * 1024));
            byte[] mac = VionetMain.parseMac(MAC);
            DhcpResponder dhcp = new DhcpResponder(mac, VionetMain.hostMacFor(mac), Frames.parseIpv4("100.64.1.3"),
                    Frames.parseIpv4("100.64.1.2"), "qemuguest");
            NetDevice device = new NetDevice("net0", taps, mac, false, dhcp);
            try (QemuNetGuest guest = QemuNetGuest.boot(dir, device, IMAGES, 512, pairs, MAC,
                    "vmdguest.run=net vmdguest.net_kb=" + KB + " vmdguest.timeout=240")) {
                boolean ended = guest.awaitPowerOff(300);
                String out = guest.console();
                System.err.println(out);
                System.err.println(guest.qemuLog());
                System.err.println("server: " + Files.readString(serverLog));
                System.err.println("vionet: " + device.counters());
                assertTrue(ended, "the guest powered off");
                assertTrue(out.contains("VMDGUEST PASS net"), "scenario passed");
                assertTrue(out.contains("VMDGUEST IP 100.64.1.3/31"), "address from our DHCP");
                assertTrue(out.contains("VMDGUEST ROUTER 100.64.1.2"), "router from our DHCP");
                assertTrue(out.contains("VMDGUEST PING ok"));
                server.waitFor(20, TimeUnit.SECONDS);
                String srv = Files.readString(serverLog);
                Matcher sent = Pattern.compile("VMDGUEST SHA256 sent (\\w+) (\\d+)").matcher(out);
                Matcher got = Pattern.compile("RECEIVED (\\w+) (\\d+)").matcher(srv);
                assertTrue(sent.find() && got.find(), "both sides report the guest-to-host transfer");
                assertEquals(sent.group(1) + " " + sent.group(2), got.group(1) + " " + got.group(2));
                Matcher hostSent = Pattern.compile("SENT (\\w+) (\\d+)").matcher(srv);
                Matcher received = Pattern.compile("VMDGUEST SHA256 received (\\w+) (\\d+)").matcher(out);
                assertTrue(hostSent.find() && received.find(), "both sides report the host-to-guest transfer");
                assertEquals(hostSent.group(1) + " " + hostSent.group(2), received.group(1) + " " + received.group(2));
                assertEquals(String.valueOf(KB * 1024), sent.group(2));
                assertTrue(device.counters().dhcpReplies.get() >= 2, "DISCOVER and REQUEST answered");
                return device.counters();
            } finally {
                server.destroyForcibly();
                for (TapFd q : taps) vmd.sys.Fds.closeQuietly(q.fd());
            }
        }
    }

    /**
     * A DHCP client nobody here wrote: SeaBIOS boots the NIC's iPXE ROM (Debian ipxe-qemu,
     * QEMU's default romfile for virtio-net-pci), whose DHCP must get our OFFER and ACK.
     */
    @Test
    void ipxeGetsALeaseFromOurDhcp() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.requireTool(QEMU);
        Prerequisites.require(NetNs.available(), "/usr/sbin/ip and /dev/net/tun");
        Prerequisites.require(java.nio.file.Files.exists(Path.of("/usr/lib/ipxe/qemu/efi-virtio.rom")), "ipxe-qemu");
        String tapName = "vmdp" + ProcessHandle.current().pid() % 100000;
        try (NetNs ns = NetNs.create("vmdtest-ipxe")) {
            TapFd tap = TapFd.open(tapName);
            ns.adopt(tapName);
            ns.exec(NetNs.IP, "addr", "add", "100.64.1.2/31", "dev", tapName);
            ns.exec(NetNs.IP, "link", "set", tapName, "up");
            byte[] mac = VionetMain.parseMac(MAC);
            NetDevice device = new NetDevice("net0", tap, mac, false, new DhcpResponder(mac, VionetMain.hostMacFor(mac),
                    Frames.parseIpv4("100.64.1.3"), Frames.parseIpv4("100.64.1.2"), "ipxeguest"));
            Path sock = dir.resolve("ipxe.sock");
            VhostUserBackend backend = new VhostUserBackend(device, "vionet-for-ipxe");
            UnixListener listener = UnixListener.listen(sock);
            Thread t = new Thread(() -> BackendServer.serveAll(listener, backend), "vionet-backend");
            t.setDaemon(true);
            t.start();
            Process qemu = new ProcessBuilder(QEMU, "-nodefaults", "-display", "none", "-accel", "tcg", "-m", "256",
                    "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-machine", "pc,memory-backend=mem",
                    "-chardev", "socket,id=c0,path=" + sock, "-netdev", "vhost-user,id=n0,chardev=c0",
                    "-device", "virtio-net-pci,netdev=n0,vectors=0,bootindex=1,mac=" + MAC, "-boot", "n", "-no-reboot")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("qemu-ipxe.log").toFile()).start();
            try {
                assertTrue(vmd.vhostuser.TestRing.eventually(90_000, () -> device.counters().dhcpAcks.get() >= 1 || !qemu.isAlive()),
                        "iPXE was acked");
                assertTrue(device.counters().dhcpAcks.get() >= 1, "iPXE completed DHCP: " + device.counters());
            } finally {
                System.err.println("vionet: " + device.counters());
                qemu.destroyForcibly();
                qemu.waitFor(10, TimeUnit.SECONDS);
                backend.stop();
                listener.close();
                vmd.sys.Fds.closeQuietly(tap.fd());
            }
        }
    }
}

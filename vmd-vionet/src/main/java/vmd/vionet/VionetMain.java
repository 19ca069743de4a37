package vmd.vionet;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.VionetParams;
import vmd.proc.ChildSession;
import vmd.tap.TapFd;
import vmd.vhostuser.BackendCommandLine;
import vmd.vhostuser.BackendServer;
import vmd.vhostuser.VhostUserBackend;

/**
 * The vionet process: a virtio-net vhost-user back-end for one interface.
 *
 * <p>Under vmd it is a child: the tap and the vhost-user socket arrive as descriptors on
 * fd 3 and it opens nothing (it keeps its own, empty network namespace: a tap descriptor
 * works from any namespace). On its own it follows the vhost-user back-end program
 * conventions, for any front-end (QEMU's {@code -netdev vhost-user}):
 * {@code vmd-vionet [--socket-path PATH | --fd N] [--print-capabilities] [--tap NAME | --tap-fd N]
 * [--queues N] [--mac xx:xx:xx:xx:xx:xx] [--locked] [--local HOST/31] [--local6 HOST6] [--hostname NAME]}.
 * {@code --queues} opens a tap by name with N queue pairs (IFF_MULTI_QUEUE). With
 * {@code --local}, HOST is the host side of the /31 (the router and DHCP server) and the
 * guest is offered the other address; {@code --local6} names the host side's IPv6 address,
 * whose /96 vionet advertises to the guest (local inet6).
 */
public final class VionetMain {
    private static final Logger log = LoggerFactory.getLogger(VionetMain.class);
    private static final int SYS_SOCKET = 41;
    static final String USAGE = "usage: vmd-vionet [--socket-path PATH | --fd N] [--print-capabilities] [--tap NAME | --tap-fd N]"
            + " [--queues N] [--mac xx:xx:xx:xx:xx:xx] [--locked] [--local HOST/31] [--local6 HOST6] [--hostname NAME]";

    public static void main(String[] args) throws Exception {
        if (args.length == 0 && System.getenv(vmd.proc.ChildLauncher.ENV_PARENT_PID) != null) {
            System.exit(runChild());
        }
        System.exit(runStandalone(args));
    }

    private static int runChild() throws InterruptedException {
        ChildSession session = ChildSession.begin("vionet");
        VionetParams p = session.config().decode(VionetParams::decode);
        List<TapFd> taps = new java.util.ArrayList<>();
        for (int k = 0; k < p.queuePairs(); k++) {
            int tapFd = session.takeFd(VionetParams.tapLabel(k));
            if (tapFd < 0) throw new IllegalStateException("no descriptor for tap queue " + k + " from the parent");
            taps.add(TapFd.of(tapFd));
        }
        TapFd tap = taps.get(0);
        int vhost = session.takeFd(VionetParams.FD_VHOST_USER);
        if (vhost < 0) throw new IllegalStateException("no vhost-user socket from the parent");
        byte[] mac = macBytes(p.mac());
        DhcpResponder dhcp = null;
        if (p.local()) {
            byte[] hostMac = p.hostMac() != 0 ? macBytes(p.hostMac()) : hostMacFor(mac);
            dhcp = new DhcpResponder(mac, hostMac, p.localGuest(), p.localHost(), p.vmName());
        }
        NetDevice device = new NetDevice(p.name(), taps, mac, p.locked(), dhcp);
        session.serveStats(() -> NetStats.samples(device.counters()));
        if (p.localHost6() != null) {
            byte[] hostMac = p.hostMac() != 0 ? macBytes(p.hostMac()) : hostMacFor(mac);
            device.router(new RouterAdvertiser(mac, hostMac, p.localHost6().getAddress(), NetDevice.MTU));
        }
        log.info("{}: tap {}, {} queue pair(s), lladdr {}{}{}{}", p.name(), tap.name(), taps.size(), macString(mac),
                p.locked() ? " (locked)" : "",
                p.local() ? ", local " + Frames.ipv4(p.localGuest()) + " via " + Frames.ipv4(p.localHost()) : "",
                p.localHost6() != null ? ", inet6 via " + p.localHost6().getHostAddress() + "/96" : "");
        vmd.sys.Seccomp.lockDown(SYS_SOCKET); // before the first guest frame: no programs, processes or sockets
        new VhostUserBackend(device, p.vmName() + "/" + p.name()).serve(vhost);
        log.info("{}: front-end gone; {}", p.name(), device.counters());
        device.close();
        return 0;
    }

    /** OpenBSD's host side address of a local interface when the tap's is unknown: the VM's plus one. */
    static byte[] hostMacFor(byte[] mac) {
        byte[] h = mac.clone();
        h[5]++;
        return h;
    }

    static byte[] macBytes(long bits) {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) b[i] = (byte) (bits >>> (8 * (5 - i)));
        return b;
    }

    static String macString(byte[] m) {
        return java.util.HexFormat.ofDelimiter(":").formatHex(m);
    }

    static byte[] parseMac(String s) {
        String[] p = s.split(":", -1);
        if (p.length != 6) throw new IllegalArgumentException("not a MAC address: " + s);
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (p[i].isEmpty() || p[i].length() > 2) throw new IllegalArgumentException("not a MAC address: " + s);
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    /** A random locally administered unicast address. */
    static byte[] randomMac() {
        byte[] b = new byte[6];
        new java.security.SecureRandom().nextBytes(b);
        b[0] = (byte) ((b[0] & 0xfc) | 0x02);
        return b;
    }

    private static int runStandalone(String[] args) throws IOException {
        BackendCommandLine cmd;
        String tapName = null, local = null, local6 = null, hostname = "vm";
        int tapFd = -1, queues = 1;
        byte[] mac = null;
        boolean locked = false;
        try {
            cmd = BackendCommandLine.parse(args);
            for (BackendCommandLine.Option o : cmd.options(
                    Set.of("--tap", "--tap-fd", "--queues", "--mac", "--local", "--local6", "--hostname"), Set.of("--locked"))) {
                if (o.name() == null) throw new IllegalArgumentException("unexpected argument " + o.value());
                switch (o.name()) {
                    case "--locked" -> locked = true;
                    case "--tap" -> tapName = o.value();
                    case "--tap-fd" -> tapFd = Integer.parseInt(o.value());
                    case "--queues" -> queues = Integer.parseInt(o.value());
                    case "--mac" -> mac = parseMac(o.value());
                    case "--local" -> local = o.value();
                    case "--local6" -> local6 = o.value();
                    default -> hostname = o.value();
                }
            }
            if (!cmd.printCapabilities() && (tapName == null) == (tapFd < 0)) {
                throw new IllegalArgumentException("one of --tap NAME or --tap-fd N is required");
            }
            if (queues < 1 || queues > VionetParams.MAX_QUEUE_PAIRS || (queues > 1 && tapName == null)) {
                throw new IllegalArgumentException("--queues wants 1.." + VionetParams.MAX_QUEUE_PAIRS + " and --tap NAME");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("vmd-vionet: " + e.getMessage());
            System.err.println(USAGE);
            return 1;
        }
        if (cmd.printCapabilities()) return BackendServer.run(cmd, "net", List.of(), null, System.out);
        List<TapFd> taps;
        try {
            taps = tapName != null ? TapFd.open(tapName, queues) : List.of(TapFd.of(tapFd));
        } catch (RuntimeException e) { // no /dev/net/tun, no CAP_NET_ADMIN, not a tap: say so, no trace
            System.err.println("vmd-vionet: " + e.getMessage());
            return 1;
        }
        TapFd tap = taps.get(0);
        if (mac == null) mac = randomMac();
        DhcpResponder dhcp = null;
        if (local != null) {
            int[] pair = parseLocal(local);
            dhcp = new DhcpResponder(mac, hostMacFor(mac), pair[1], pair[0], hostname);
            log.info("local interface: guest {} via {}", Frames.ipv4(pair[1]), Frames.ipv4(pair[0]));
        }
        NetDevice device = new NetDevice(tap.name(), taps, mac, locked, dhcp);
        if (local6 != null) {
            byte[] host6 = local6.contains(":") ? java.net.InetAddress.getByName(local6).getAddress() : new byte[0]; // literals only
            if (host6.length != 16) throw new IllegalArgumentException("--local6 wants an IPv6 address: " + local6);
            device.router(new RouterAdvertiser(mac, tapMac(tap.name(), hostMacFor(mac)), host6, NetDevice.MTU));
            log.info("local inet6: advertising the /96 of {}", local6);
        }
        log.info("vionet on {}, {} queue pair(s), lladdr {}", tap, taps.size(), macString(mac));
        int rc = BackendServer.run(cmd, "net", List.of(), new VhostUserBackend(device, "vionet " + tap.name()), System.out);
        device.close();
        return rc;
    }

    /** The tap's own address as this namespace sees it (the router's link-local address derives from it), else {@code fallback}. */
    static byte[] tapMac(String tap, byte[] fallback) {
        try {
            return parseMac(java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", tap, "address")).strip());
        } catch (IOException | IllegalArgumentException e) {
            return fallback;
        }
    }

    /** {@code HOST/31} to {host, guest}: the guest has the other address of the /31. */
    static int[] parseLocal(String s) {
        int slash = s.indexOf('/');
        if (slash < 0 || !s.substring(slash + 1).equals("31")) throw new IllegalArgumentException("--local wants ADDR/31: " + s);
        int host = Frames.parseIpv4(s.substring(0, slash));
        return new int[] {host, host ^ 1};
    }

    private VionetMain() {}
}

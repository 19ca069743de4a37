package vmd.vionet;

import static vmd.vionet.DhcpResponderTest.GUEST;
import static vmd.vionet.DhcpResponderTest.HOST;
import static vmd.vionet.DhcpResponderTest.HOST_MAC;
import static vmd.vionet.DhcpResponderTest.MAC;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.tap.TapFd;

/**
 * A vionet device on a fake tap (a SOCK_SEQPACKET pair, one frame per message) with the
 * DHCP server and router of a local interface, and its transmit path, for
 * {@link FrameFuzzTest}. Made once per variant and kept: no threads serve it, the target
 * calls {@link TxPath#transmit} itself and reads what reached the "tap".
 */
final class FuzzTxDevice {
    static final int MTU = 1500;
    final NetDevice dev;
    final TxPath path;
    final boolean vnetHdr, locked;
    private final int host;
    private final ByteBuffer wire = ByteBuffer.allocateDirect(VirtioNet.MAX_GSO_FRAME + VirtioNet.HDR_LEN + 1);

    FuzzTxDevice(String name, long features, boolean vnetHdr, boolean locked) {
        int[] sock = UnixSockets.pair(UnixSockets.SOCK_SEQPACKET);
        Fds.setNonBlocking(sock[1], true);
        TapFd tap = TapFd.forTesting(sock[0], name, vnetHdr);
        this.dev = new NetDevice(name, tap, MAC, locked, new DhcpResponder(MAC, HOST_MAC, GUEST, HOST, "web"));
        dev.local().router(router(), 365, TimeUnit.DAYS); // no periodic advertisement during a run
        dev.setFeatures(features);
        this.path = new TxPath(dev, tap, 0);
        this.vnetHdr = vnetHdr;
        this.locked = locked;
        this.host = sock[1];
    }

    /** The router of the local interface; its clock moves 3 s at every look, so no answer is rate-limited away. */
    static RouterAdvertiser router() {
        long[] now = {0};
        return new RouterAdvertiser(MAC, HOST_MAC, RouterAdvertiserTest.HOST6, MTU, () -> now[0] += RouterAdvertiser.MIN_INTERVAL_NS);
    }

    /** The next frame the tap got, or null. */
    byte[] tapReceived() {
        if ((Fds.poll(host, Fds.POLLIN, 0) & Fds.POLLIN) == 0) return null;
        wire.clear();
        int n = Fds.read(host, wire);
        byte[] out = new byte[n];
        wire.flip().get(out);
        return out;
    }
}

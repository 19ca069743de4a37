package vmd.vionet;

import vmd.proc.AotTraining;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.tap.TapFd;

/**
 * The vionet process's part of the AOT training ({@code vmd.proc.AotTraining}): a network
 * device on a stand-in tap (a socketpair) served through the vhost-user handshake.
 */
public final class AotWorkload {
    private AotWorkload() {}

    public static void train() throws Exception {
        AotTraining.loadClasses(java.util.List.of("vmd.vionet.VionetMain", "vmd.vionet.Frames", "vmd.vionet.DhcpResponder")); // the process's start, which training cannot run
        int[] pair = UnixSockets.pair(UnixSockets.SOCK_SEQPACKET);
        NetDevice device = new NetDevice("aot0", TapFd.forTesting(pair[0], "aot0", true),
                new byte[] {(byte) 0xfe, (byte) 0xe1, (byte) 0xba, 0, 0, 1}, true, null);
        try {
            AotTraining.serveHandshake(device, "aot0");
        } finally {
            device.close();
            Fds.closeQuietly(pair[0]);
            Fds.closeQuietly(pair[1]);
        }
    }
}

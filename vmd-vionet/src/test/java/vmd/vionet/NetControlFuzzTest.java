package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import vmd.sys.UnixSockets;
import vmd.tap.TapFd;
import vmd.vhostuser.EventNotifier;
import vmd.vhostuser.Vring;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;
import vmd.virtio.VirtioFeatures;

/**
 * Coverage-guided (Jazzer) control queue: any command chain a driver makes (any bytes, cut
 * into any readable buffers, with no, a short or a long writable part) is served without
 * an exception; the ack is one byte written at the start of the writable part, OK exactly
 * for a well-formed VQ_PAIRS_SET in range under MQ, ERR for everything else, and counted.
 * Seeds and past findings: src/test/resources/vmd/vionet/NetControlFuzzTestInputs.
 */
class NetControlFuzzTest {
    private static final long CTRL_VQ = VirtioNet.bit(VirtioNet.F_CTRL_VQ), MQ = VirtioNet.bit(VirtioNet.F_MQ),
            V1 = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
    private static final GuestChains CHAINS = new GuestChains();
    /** Pair counts and features a driver may take (a control queue exists from 2 pairs on): 4 with and without MQ, 2, the most. */
    private static final NetDevice[] DEVICES = {device(4, V1 | CTRL_VQ | MQ), device(4, V1 | CTRL_VQ), device(2, V1 | CTRL_VQ | MQ),
        device(NetDevice.MAX_PAIRS, V1 | CTRL_VQ | MQ)};
    /** Not the devices' control ring (none is started): a VQ_PAIRS_SET is judged and acked, and changes no pairs here. */
    private static final Vring RING = ring();
    private static final byte FILL = 0x5a;

    private static NetDevice device(int pairs, long features) {
        int fd = UnixSockets.pair(UnixSockets.SOCK_SEQPACKET)[0]; // never read or written: one descriptor for every queue
        List<TapFd> taps = new ArrayList<>();
        for (int k = 0; k < pairs; k++) taps.add(TapFd.forTesting(fd, "fzctl", false));
        NetDevice dev = new NetDevice("fzctl" + pairs, taps, DhcpResponderTest.MAC, false, null);
        dev.setFeatures(features);
        return dev;
    }

    private static Vring ring() {
        try {
            VirtQueue q = new VirtQueue(CHAINS.mem, GuestChains.SIZE, GuestChains.DESC, GuestChains.AVAIL, GuestChains.USED, V1);
            return new Vring(2, q, -1, CHAINS.mem, V1, new EventNotifier(), new EventNotifier());
        } catch (VirtQueueException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest
    void command(FuzzedDataProvider in) {
        NetDevice dev = DEVICES[in.consumeInt(0, DEVICES.length - 1)];
        int[] writable = new int[in.consumeInt(0, 2)];
        for (int i = 0; i < writable.length; i++) writable[i] = in.consumeInt(1, 8);
        int[] cuts = new int[in.consumeInt(0, 3)];
        for (int i = 0; i < cuts.length; i++) cuts[i] = in.consumeInt(0, 8);
        boolean pairsSet = in.consumeBoolean();
        byte[] cmd = in.consumeRemainingAsBytes();
        if (pairsSet && cmd.length >= 2) { // steer towards the one command there is
            cmd[0] = NetControl.CLASS_MQ;
            cmd[1] = NetControl.MQ_VQ_PAIRS_SET;
        }
        if (cmd.length > 4096) return;
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int at : Arrays.stream(cuts).sorted().toArray()) {
            if (at <= from || at >= cmd.length) continue;
            pieces.add(Arrays.copyOfRange(cmd, from, at));
            from = at;
        }
        pieces.add(Arrays.copyOfRange(cmd, from, cmd.length));
        DescriptorChain chain = CHAINS.chain(pieces, writable, FILL);
        if (chain == null) return;

        NetCounters c = dev.counters();
        long ok = c.ctrlOk.get(), err = c.ctrlErr.get();
        int used = NetControl.serve(dev, RING, chain);
        int n = cmd.length == 4 ? (cmd[2] & 0xff) | (cmd[3] & 0xff) << 8 : 0;
        boolean room = writable.length > 0;
        boolean accept = room && (dev.negotiated() & MQ) != 0 && cmd.length == 4 && cmd[0] == NetControl.CLASS_MQ
                && cmd[1] == NetControl.MQ_VQ_PAIRS_SET && n >= 1 && n <= dev.queuePairs();
        assertEquals(accept ? 1 : 0, c.ctrlOk.get() - ok, "counted OK");
        assertEquals(accept ? 0 : 1, c.ctrlErr.get() - err, "counted ERR");
        if (!room) {
            assertEquals(0, used, "no room for the ack: nothing written");
            return;
        }
        assertEquals(1, used, "the used length is the ack's byte");
        byte[] back = new byte[(int) chain.writableLength()];
        int at = 0;
        for (DescriptorChain.Segment s : chain.writableSegments()) {
            ByteBuffer b = s.buffer();
            b.get(0, back, at, s.length());
            at += s.length();
        }
        assertEquals(accept ? NetControl.OK : NetControl.ERR, back[0], "the ack");
        for (int i = 1; i < back.length; i++) assertEquals(FILL, back[i], "a byte past the ack written");
    }
}

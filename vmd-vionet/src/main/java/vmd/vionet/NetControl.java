package vmd.vionet;

import java.nio.ByteBuffer;
import vmd.vhostuser.Vring;
import vmd.virtio.DescriptorChain;

/**
 * The virtio-net control queue's commands (virtio 1.2 section 5.1.6.5). A command is
 * {@code class, command, data...} in device-readable buffers and one ack byte in a
 * device-writable one. vionet offers only {@link #CLASS_MQ} {@link #MQ_VQ_PAIRS_SET}
 * (it offers none of CTRL_RX, CTRL_VLAN, CTRL_MAC_ADDR, GUEST_ANNOUNCE, RSS): everything
 * else, and any command that is short, long or out of range, gets {@link #ERR}.
 */
final class NetControl {
    static final int CLASS_MQ = 4, MQ_VQ_PAIRS_SET = 0;
    /** The ack byte. */
    static final byte OK = 0, ERR = 1;
    /** VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN/_MAX. */
    static final int MIN_PAIRS = 1, MAX_PAIRS = 0x8000;
    /** The most readable bytes looked at; a longer command is malformed anyway. */
    static final int MAX_COMMAND = 64;

    private NetControl() {}

    /** What a command asks: a pair count, or why it is refused. */
    record Command(int pairs, String error) {
        boolean ok() {
            return error == null;
        }

        static Command refuse(String why) {
            return new Command(0, why);
        }
    }

    /**
     * Parses a command. {@code readable} holds its first bytes, {@code length} is the
     * chain's whole readable length; {@code mq} says whether VIRTIO_NET_F_MQ was negotiated.
     */
    static Command parse(byte[] readable, long length, boolean mq, int maxPairs) {
        if (length < 2 || readable.length < 2) return Command.refuse("a command of " + length + " bytes");
        int cls = readable[0] & 0xff, cmd = readable[1] & 0xff;
        if (cls != CLASS_MQ) return Command.refuse("unsupported class " + cls + " command " + cmd);
        if (!mq) return Command.refuse("an MQ command without VIRTIO_NET_F_MQ");
        if (cmd != MQ_VQ_PAIRS_SET) return Command.refuse("unsupported MQ command " + cmd);
        if (length != 4 || readable.length < 4) return Command.refuse("VQ_PAIRS_SET of " + length + " bytes, not 4");
        int pairs = (readable[2] & 0xff) | (readable[3] & 0xff) << 8;
        if (pairs < MIN_PAIRS || pairs > MAX_PAIRS || pairs > maxPairs) {
            return Command.refuse("VQ_PAIRS_SET " + pairs + " outside 1.." + maxPairs);
        }
        return new Command(pairs, null);
    }

    /** Serves one command of {@code dev}'s control queue; the pair count changes before the ack is written. */
    static int serve(NetDevice dev, Vring ring, DescriptorChain chain) {
        NetCounters c = dev.counters();
        if (chain.writableLength() < 1) {
            c.ctrlErr.incrementAndGet();
            dev.warn("a control command without room for its ack");
            return 0;
        }
        Command cmd;
        try {
            cmd = parse(chain.readReadable(MAX_COMMAND), chain.readableLength(), NetDevice.has(dev.negotiated(), VirtioNet.F_MQ),
                    dev.queuePairs());
        } catch (RuntimeException e) {
            cmd = Command.refuse(e.toString());
        }
        if (cmd.ok()) dev.setRequestedPairs(ring, cmd.pairs());
        else dev.warn("control command refused: {}", cmd.error());
        (cmd.ok() ? c.ctrlOk : c.ctrlErr).incrementAndGet();
        chain.writeWritable(0, ByteBuffer.wrap(new byte[] {cmd.ok() ? OK : ERR}));
        return 1;
    }
}

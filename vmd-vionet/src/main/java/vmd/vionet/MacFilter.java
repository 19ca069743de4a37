package vmd.vionet;

import java.nio.ByteBuffer;

/**
 * {@code locked lladdr}: outgoing frames must carry the VM's own source address;
 * incoming frames must be for it, or broadcast/multicast. Without the lock everything
 * passes. Offsets are of the Ethernet header in the buffer.
 */
public final class MacFilter {
    private final byte[] mac;
    private final boolean locked;

    public MacFilter(byte[] mac, boolean locked) {
        if (mac.length != 6) throw new IllegalArgumentException("MAC must be 6 bytes");
        this.mac = mac.clone();
        this.locked = locked;
    }

    public boolean locked() {
        return locked;
    }

    /** May the guest send this frame (Ethernet header at {@code off}, {@code len} bytes of frame)? */
    public boolean allowOutgoing(ByteBuffer frame, int off, int len) {
        if (len < VirtioNet.ETH_HLEN) return false;
        if (!locked) return true;
        for (int i = 0; i < 6; i++) if (frame.get(off + 6 + i) != mac[i]) return false;
        return true;
    }

    /** May the guest receive this frame? */
    public boolean allowIncoming(ByteBuffer frame, int off, int len) {
        if (len < VirtioNet.ETH_HLEN) return false;
        if (!locked) return true;
        if ((frame.get(off) & 1) != 0) return true; // group bit: broadcast and multicast
        for (int i = 0; i < 6; i++) if (frame.get(off + i) != mac[i]) return false;
        return true;
    }
}

package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * struct vhost_vring_addr (SET_VRING_ADDR): u32 index, u32 flags, then the descriptor
 * table, used ring and available ring as front-end user addresses, and the log address.
 * Note the order: desc, used, avail.
 */
public record VringAddr(int index, int flags, long descUser, long usedUser, long availUser, long logGuest) {
    public static final int SIZE = 40;
    /** flags bit 0: log used-ring writes (migration; we do not offer LOG_ALL). */
    public static final int F_LOG = 1;

    public byte[] encode() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder()).putInt(index).putInt(flags).putLong(descUser)
                .putLong(usedUser).putLong(availUser).putLong(logGuest).array();
    }

    public static VringAddr decode(VhostUserMessage m) {
        m.expectSize(SIZE);
        ByteBuffer b = m.payloadBuffer();
        return new VringAddr(b.getInt(0), b.getInt(4), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32));
    }

    @Override
    public String toString() {
        // no String.format on a child's normal path: it loads the locale data (ChildLog)
        return "VringAddr[index=" + index + " flags=0x" + Integer.toHexString(flags) + " desc=0x" + Long.toHexString(descUser)
                + " used=0x" + Long.toHexString(usedUser) + " avail=0x" + Long.toHexString(availUser)
                + " log=0x" + Long.toHexString(logGuest) + "]";
    }
}

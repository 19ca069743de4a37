package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * VhostUserConfig (GET_CONFIG/SET_CONFIG): u32 offset, u32 size, u32 flags, then
 * {@code size} bytes of device configuration space (at most {@link #MAX_SIZE}).
 */
public record ConfigSpace(int offset, int flags, byte[] data) {
    /** VHOST_USER_MAX_CONFIG_SIZE. */
    public static final int MAX_SIZE = 256;
    public static final int HEADER = 12;
    /** flags: a write of writable fields by the driver. */
    public static final int FLAG_WRITABLE = 0;
    /** flags: a write for live migration (may touch read-only fields). */
    public static final int FLAG_MIGRATION = 1;

    public int size() {
        return data.length;
    }

    public byte[] encode() {
        return ByteBuffer.allocate(HEADER + data.length).order(ByteOrder.nativeOrder()).putInt(offset).putInt(data.length)
                .putInt(flags).put(data).array();
    }

    /**
     * Decodes and checks: size within {@link #MAX_SIZE}, offset + size within it too, and
     * the payload exactly 12 + size bytes.
     */
    public static ConfigSpace decode(VhostUserMessage m) {
        if (m.size() < HEADER) {
            throw new VhostUserProtocolException(m.name() + ": payload size " + m.size() + ", expected at least " + HEADER);
        }
        ByteBuffer b = m.payloadBuffer();
        long offset = b.getInt(0) & 0xffffffffL;
        long size = b.getInt(4) & 0xffffffffL;
        int flags = b.getInt(8);
        if (size > MAX_SIZE || offset + size > MAX_SIZE) {
            throw new VhostUserProtocolException(m.name() + ": config range " + offset + "+" + size + " exceeds " + MAX_SIZE + " bytes");
        }
        m.expectSize(HEADER + (int) size);
        byte[] data = new byte[(int) size];
        b.position(HEADER).get(data);
        return new ConfigSpace((int) offset, flags, data);
    }
}

package vmd.imsg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 16-byte frame header, as OpenBSD's {@code struct imsg_hdr}: u32 type, u16 len
 * (header + payload), u16 flags, u32 peerid, u32 pid. Host order on OpenBSD; here fixed
 * little-endian. Unsigned fields are held in ints: {@code length} and {@code flags} are
 * 0..65535, {@code type}, {@code peerId} and {@code pid} are raw 32-bit values.
 */
public record ImsgHeader(int type, int length, int flags, int peerId, int pid) {
    public static final int HEADER_SIZE = 16;
    /** Largest frame, header included (OpenBSD's MAX_IMSGSIZE). */
    public static final int MAX_IMSGSIZE = 16384;
    public static final int MAX_PAYLOAD = MAX_IMSGSIZE - HEADER_SIZE;
    /** One descriptor travels with this frame. */
    public static final int IMSGF_HASFD = 1;
    /** Every flag bit this implementation knows; any other bit is a protocol error. */
    public static final int KNOWN_FLAGS = IMSGF_HASFD;

    public boolean hasFd() {
        return (flags & IMSGF_HASFD) != 0;
    }

    /** Reads a header at {@code buf}'s position (moving it); the caller checks there are 16 bytes. */
    public static ImsgHeader read(ByteBuffer buf) {
        ByteBuffer le = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        ImsgHeader h = new ImsgHeader(le.getInt(), Short.toUnsignedInt(le.getShort()),
                Short.toUnsignedInt(le.getShort()), le.getInt(), le.getInt());
        buf.position(buf.position() + HEADER_SIZE);
        return h;
    }

    /** Writes this header at {@code buf}'s position (moving it). */
    public void write(ByteBuffer buf) {
        ByteOrder order = buf.order();
        buf.order(ByteOrder.LITTLE_ENDIAN)
                .putInt(type).putShort((short) length).putShort((short) flags).putInt(peerId).putInt(pid);
        buf.order(order);
    }
}

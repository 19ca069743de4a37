package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The vhost-user wire format: a 12-byte header (u32 request, u32 flags, u32 size, all in
 * native byte order) followed by {@code size} payload bytes. Descriptors travel beside
 * the bytes (SCM_RIGHTS), see {@link VhostUserConnection}.
 *
 * <p>Decoding checks what can be checked before trusting the stream: the version bits
 * and a payload size no larger than {@link #MAX_PAYLOAD}. An unknown request id is not a
 * framing error (its payload can be skipped); the back-end refuses it.
 */
public final class VhostUserCodec {
    public static final int HEADER_SIZE = 12;
    /**
     * Largest payload accepted. The largest real ones are SET_MEM_TABLE (8 + 8 * 32 = 264)
     * and GET_CONFIG (12 + 256); rust-vmm's vhost uses the same 4 KiB bound.
     */
    public static final int MAX_PAYLOAD = 4096;
    /** Most descriptors one message carries (SET_MEM_TABLE: one per region). */
    public static final int MAX_FDS = 8;

    private VhostUserCodec() {}

    /** A decoded header. */
    public record Header(int request, int flags, int size) {
        public String name() {
            return VhostUserRequest.describe(request);
        }
    }

    /** Header and payload in one direct buffer, ready for one sendmsg. */
    public static ByteBuffer encode(VhostUserMessage m) {
        if (m.size() > MAX_PAYLOAD) {
            throw new IllegalArgumentException(m.name() + ": payload size " + m.size() + " exceeds the maximum of " + MAX_PAYLOAD);
        }
        if (m.fdCount() > MAX_FDS) throw new IllegalArgumentException(m.name() + ": " + m.fdCount() + " descriptors, at most " + MAX_FDS);
        ByteBuffer b = ByteBuffer.allocateDirect(HEADER_SIZE + m.size()).order(ByteOrder.nativeOrder());
        b.putInt(m.request()).putInt(m.flags()).putInt(m.size()).put(m.payload());
        return b.flip();
    }

    /** Decodes and checks a header from the first 12 bytes at {@code b}'s position (not moved). */
    public static Header decodeHeader(ByteBuffer b) {
        if (b.remaining() < HEADER_SIZE) {
            throw new VhostUserProtocolException("truncated header: " + b.remaining() + " of " + HEADER_SIZE + " bytes");
        }
        ByteBuffer h = b.duplicate().order(ByteOrder.nativeOrder());
        int request = h.getInt();
        int flags = h.getInt();
        int size = h.getInt();
        String name = VhostUserRequest.describe(request);
        if ((flags & VhostUserMessage.VERSION_MASK) != VhostUserMessage.VERSION) {
            throw new VhostUserProtocolException(name + ": unsupported protocol version " + (flags & VhostUserMessage.VERSION_MASK));
        }
        if (size < 0 || size > MAX_PAYLOAD) {
            throw new VhostUserProtocolException(name + ": payload size " + Integer.toUnsignedString(size)
                    + " exceeds the maximum of " + MAX_PAYLOAD);
        }
        return new Header(request, flags, size);
    }

    /** A whole message from bytes (header + payload), no descriptors; for tests and tools. */
    public static VhostUserMessage decode(ByteBuffer b, int... fds) {
        Header h = decodeHeader(b);
        if (b.remaining() - HEADER_SIZE < h.size()) {
            throw new VhostUserProtocolException(h.name() + ": truncated payload: " + (b.remaining() - HEADER_SIZE) + " of "
                    + h.size() + " bytes");
        }
        byte[] payload = new byte[h.size()];
        b.duplicate().position(b.position() + HEADER_SIZE).get(payload);
        return new VhostUserMessage(h.request(), h.flags(), payload, fds);
    }
}

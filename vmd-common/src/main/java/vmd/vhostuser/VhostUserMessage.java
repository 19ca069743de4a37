package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import vmd.sys.Fds;

/**
 * One vhost-user message: the 12-byte header (request, flags, size) as fields, the payload
 * bytes, and the descriptors that travel with it (SCM_RIGHTS).
 *
 * <p>Received descriptors belong to the message until a handler {@linkplain #takeFd takes}
 * one; {@link #closeFds()} closes whatever nobody took, so a hostile peer cannot make us
 * leak descriptors by attaching them where none are expected.
 */
public final class VhostUserMessage {
    /** The only protocol version (flags bits 0-1). */
    public static final int VERSION = 0x1;
    public static final int VERSION_MASK = 0x3;
    /** Set on every reply from the back-end. */
    public static final int FLAG_REPLY = 0x4;
    /** The front-end wants a u64 ack (REPLY_ACK). */
    public static final int FLAG_NEED_REPLY = 0x8;

    private final int request;
    private final int flags;
    private final byte[] payload;
    private final int[] fds;

    public VhostUserMessage(int request, int flags, byte[] payload, int... fds) {
        this.request = request;
        this.flags = flags;
        this.payload = payload == null ? new byte[0] : payload;
        this.fds = fds == null ? new int[0] : fds.clone();
    }

    /** A front-end request, version 1, no NEED_REPLY. */
    public static VhostUserMessage request(VhostUserRequest request, byte[] payload, int... fds) {
        return new VhostUserMessage(request.id(), VERSION, payload, fds);
    }

    public static VhostUserMessage request(VhostUserRequest request) {
        return request(request, null);
    }

    /** The back-end's reply to {@code request}. */
    public static VhostUserMessage reply(int request, byte[] payload) {
        return new VhostUserMessage(request, VERSION | FLAG_REPLY, payload);
    }

    /** A u64 reply: REPLY_ACK acks (0 success, non-zero failure) and GET_FEATURES-style answers. */
    public static VhostUserMessage replyU64(int request, long value) {
        return reply(request, u64(value));
    }

    /** This message with NEED_REPLY set (or cleared). */
    public VhostUserMessage needReply(boolean on) {
        return new VhostUserMessage(request, on ? flags | FLAG_NEED_REPLY : flags & ~FLAG_NEED_REPLY, payload, fds);
    }

    /** The raw request id (possibly one we do not know). */
    public int request() {
        return request;
    }

    /** The request, or null if its id is unknown. */
    public VhostUserRequest type() {
        return VhostUserRequest.of(request);
    }

    public String name() {
        return VhostUserRequest.describe(request);
    }

    public int flags() {
        return flags;
    }

    public int version() {
        return flags & VERSION_MASK;
    }

    public boolean isReply() {
        return (flags & FLAG_REPLY) != 0;
    }

    public boolean needsReply() {
        return (flags & FLAG_NEED_REPLY) != 0;
    }

    /** Payload size (the header's size field). */
    public int size() {
        return payload.length;
    }

    /** The payload bytes (not copied). */
    public byte[] payload() {
        return payload;
    }

    /** A little-endian (native on x86) reader over the payload. */
    public ByteBuffer payloadBuffer() {
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
    }

    /** The descriptors not yet taken (-1 for taken ones). */
    public int[] fds() {
        return fds.clone();
    }

    public int fdCount() {
        int n = 0;
        for (int fd : fds) if (fd >= 0) n++;
        return n;
    }

    /** Takes ownership of descriptor {@code i}: {@link #closeFds()} will leave it open. */
    public int takeFd(int i) {
        int fd = fds[i];
        if (fd < 0) throw new IllegalStateException("descriptor " + i + " of " + name() + " already taken");
        fds[i] = -1;
        return fd;
    }

    /** Closes every descriptor nobody took. */
    public void closeFds() {
        for (int i = 0; i < fds.length; i++) {
            if (fds[i] >= 0) {
                Fds.closeQuietly(fds[i]);
                fds[i] = -1;
            }
        }
    }

    /** The payload as a u64, checking its size. */
    public long u64() {
        expectSize(8);
        return payloadBuffer().getLong(0);
    }

    /** Throws unless the payload is exactly {@code size} bytes. */
    public void expectSize(int size) {
        if (payload.length != size) {
            throw new VhostUserProtocolException(name() + ": payload size " + payload.length + ", expected " + size);
        }
    }

    public static byte[] u64(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value).array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VhostUserMessage m && m.request == request && m.flags == flags
                && Arrays.equals(m.payload, payload) && Arrays.equals(m.fds, fds);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * request + flags) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "VhostUserMessage[" + name() + ", flags=0x" + Integer.toHexString(flags) + ", size=" + payload.length
                + (fds.length > 0 ? ", fds=" + Arrays.toString(fds) : "") + "]";
    }
}

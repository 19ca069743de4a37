package vmd.imsg;

import static vmd.imsg.ImsgHeader.IMSGF_HASFD;
import static vmd.imsg.ImsgHeader.KNOWN_FLAGS;
import static vmd.imsg.ImsgHeader.MAX_PAYLOAD;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One message: type, flags, peer id, pid, payload and at most one descriptor ({@code fd},
 * -1 if none). IMSGF_HASFD in {@code flags} always agrees with {@code fd}: it is set here when
 * {@code fd >= 0}. {@code peerId} and {@code pid} are free for the protocol (a VM id, a
 * request id, the sender's pid), as in OpenBSD.
 *
 * <p>The descriptor is a plain number: whoever holds a received Imsg owns its fd and must
 * close it or hand it on. Sending does not close it.
 */
public record Imsg(ImsgType type, int flags, int peerId, int pid, ByteBuffer payload, int fd) {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    public Imsg {
        Objects.requireNonNull(type, "type");
        if ((flags & ~KNOWN_FLAGS) != 0) throw new IllegalArgumentException("unknown imsg flag bits 0x" + Integer.toHexString(flags & ~KNOWN_FLAGS));
        if (fd < -1) throw new IllegalArgumentException("bad descriptor " + fd);
        if (fd < 0 && (flags & IMSGF_HASFD) != 0) throw new IllegalArgumentException("IMSGF_HASFD set without a descriptor");
        if (fd >= 0) flags |= IMSGF_HASFD;
        // A private read-only copy: callers can neither change it nor move a shared position.
        ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload.duplicate());
        payload = copy.flip().asReadOnlyBuffer();
        if (payload.remaining() > MAX_PAYLOAD) {
            throw new IllegalArgumentException(type + " payload of " + payload.remaining() + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    public static Imsg of(ImsgType type) {
        return new Imsg(type, 0, 0, 0, EMPTY, -1);
    }

    public static Imsg of(ImsgType type, ImsgPayload payload) {
        return of(type, payload.toBytes());
    }

    public static Imsg of(ImsgType type, byte[] payload) {
        return new Imsg(type, 0, 0, 0, ByteBuffer.wrap(payload), -1);
    }

    public Imsg withFd(int newFd) {
        return new Imsg(type, newFd >= 0 ? flags | IMSGF_HASFD : flags & ~IMSGF_HASFD, peerId, pid, payload, newFd);
    }

    public Imsg withPeerId(int newPeerId) {
        return new Imsg(type, flags, newPeerId, pid, payload, fd);
    }

    public Imsg withPid(int newPid) {
        return new Imsg(type, flags, peerId, newPid, payload, fd);
    }

    /** The payload, read-only, positioned at 0; each call returns an independent view. */
    @Override
    public ByteBuffer payload() {
        return payload.duplicate();
    }

    public int payloadLength() {
        return payload.remaining();
    }

    public boolean hasFd() {
        return fd >= 0;
    }

    /**
     * Decodes the payload with {@code decoder} and requires it to consume every byte.
     * Anything malformed, including a value its record rejects, is an
     * {@link ImsgProtocolException} naming this message's type.
     */
    public <T> T decode(PayloadDecoder<T> decoder) {
        PayloadReader in = new PayloadReader(payload());
        try {
            T value = decoder.decode(in);
            in.finish();
            return value;
        } catch (ImsgProtocolException | IllegalArgumentException e) {
            throw new ImsgProtocolException("malformed " + type + " payload: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Imsg[" + type + " payload=" + payload.remaining() + " peerId=" + peerId + " pid=" + pid
                + (fd >= 0 ? " fd=" + fd : "") + "]";
    }
}

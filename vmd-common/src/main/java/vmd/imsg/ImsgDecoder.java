package vmd.imsg;

import static vmd.imsg.ImsgHeader.HEADER_SIZE;
import static vmd.imsg.ImsgHeader.KNOWN_FLAGS;
import static vmd.imsg.ImsgHeader.MAX_IMSGSIZE;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import vmd.sys.Fds;

/**
 * Turns a byte stream and the descriptors that arrived with it back into messages. Pure: it
 * never reads a socket. Feed each received chunk with its descriptors, in arrival order, then
 * call {@link #next()} until it returns null. Frames may be split across chunks and a chunk may
 * hold several frames.
 *
 * <p>Matching descriptors to frames. The sender attaches a frame's descriptor to the frame's
 * first byte. A Linux stream socket hands a descriptor to the receiver in the same recvmsg as
 * the first byte of the data it was sent with, but that recvmsg may also return earlier bytes
 * (it stops after the descriptor-carrying data, not before). So a descriptor that came with the
 * chunk spanning stream offsets [start, end) belongs to a HASFD frame that starts in that
 * range: a HASFD frame takes the oldest queued descriptor only if it arrived with or before the
 * frame's first byte, and once every frame starting before {@code end} has been decoded, a
 * descriptor still queued was claimed by nobody and is an error.
 *
 * <p>Any error is an {@link ImsgProtocolException}; the decoder then stays failed (the stream
 * cannot be resynchronised) and every later {@link #next()} throws the same exception. The
 * caller must then {@link #closeQueuedFds()}. Descriptors inside returned messages belong to
 * the caller.
 */
public final class ImsgDecoder {
    /** A received descriptor and the stream range of the chunk it came with. */
    private record QueuedFd(int fd, long chunkStart, long chunkEnd) {}

    private final ArrayDeque<QueuedFd> fds = new ArrayDeque<>();
    private byte[] buf = new byte[2 * MAX_IMSGSIZE];
    private int head, tail;        // buffered, undecoded bytes are buf[head, tail)
    private long frameStart;       // stream offset of buf[head]: the next frame's first byte
    private ImsgProtocolException failure;

    /**
     * Queues the remaining bytes of {@code bytes} (consuming them) and the descriptors that
     * arrived with them. Descriptors are queued even after a failure, so that
     * {@link #closeQueuedFds()} closes them.
     */
    public void feed(ByteBuffer bytes, int... received) {
        long chunkStart = frameStart + (tail - head);
        int n = bytes.remaining();
        for (int fd : received) fds.add(new QueuedFd(fd, chunkStart, chunkStart + n));
        if (failure != null) {
            bytes.position(bytes.limit());
            return;
        }
        makeRoom(n);
        bytes.get(buf, tail, n);
        tail += n;
    }

    /** The next complete message, or null if more bytes are needed. */
    public Imsg next() {
        if (failure != null) throw failure;
        try {
            return decodeOne();
        } catch (ImsgProtocolException e) {
            failure = e;
            throw e;
        }
    }

    /** Bytes received but not yet part of a returned message (non-zero at EOF means truncation). */
    public int pendingBytes() {
        return tail - head;
    }

    public int queuedFds() {
        return fds.size();
    }

    /** Closes every descriptor received but not handed out in a message. */
    public void closeQueuedFds() {
        for (QueuedFd q; (q = fds.poll()) != null; ) Fds.closeQuietly(q.fd);
    }

    private Imsg decodeOne() {
        checkNoUnclaimedBefore(frameStart, null);
        if (tail - head < HEADER_SIZE) return null;
        ImsgHeader h = ImsgHeader.read(ByteBuffer.wrap(buf, head, HEADER_SIZE));
        ImsgType type = validate(h);
        if (tail - head < h.length()) return null;

        long frameEnd = frameStart + h.length();
        // The frame's descriptor, if any, is the queue head (validate checked it came with the
        // first byte). Any other descriptor that came with a chunk ending inside this frame
        // can no longer be claimed: fail before handing out this frame.
        QueuedFd own = h.hasFd() ? fds.peek() : null;
        checkNoUnclaimedBefore(frameEnd, own);

        ByteBuffer payload = ByteBuffer.wrap(Arrays.copyOfRange(buf, head + HEADER_SIZE, head + h.length()));
        int fd = own != null ? fds.poll().fd : -1;
        head += h.length();
        frameStart = frameEnd;
        return new Imsg(type, h.flags(), h.peerId(), h.pid(), payload, fd);
    }

    /** Checks a header as soon as it is complete, so a bad length never makes us wait for data. */
    private ImsgType validate(ImsgHeader h) {
        if (h.length() < HEADER_SIZE) throw new ImsgProtocolException("frame length " + h.length() + " below header size " + HEADER_SIZE);
        if (h.length() > MAX_IMSGSIZE) throw new ImsgProtocolException("frame length " + h.length() + " exceeds maximum " + MAX_IMSGSIZE);
        ImsgType type = ImsgType.fromCode(h.type());
        if (type == null) throw new ImsgProtocolException("unknown message type " + Integer.toUnsignedString(h.type()));
        int unknownFlags = h.flags() & ~KNOWN_FLAGS;
        if (unknownFlags != 0) throw new ImsgProtocolException("unknown flag bits 0x" + Integer.toHexString(unknownFlags) + " on " + type);
        if (h.hasFd() && type.fd() == FdPolicy.NONE) throw new ImsgProtocolException(type + " flagged HASFD but carries no descriptor");
        if (!h.hasFd() && type.fd() == FdPolicy.REQUIRED) throw new ImsgProtocolException(type + " requires a descriptor but HASFD is not set");
        if (h.hasFd()) {
            QueuedFd q = fds.peek();
            if (q == null || q.chunkStart > frameStart) throw new ImsgProtocolException(type + " flagged HASFD but no descriptor arrived with it");
        }
        return type;
    }

    /** Fails if a queued descriptor other than {@code except} came with a chunk ending at or before {@code offset}. */
    private void checkNoUnclaimedBefore(long offset, QueuedFd except) {
        Iterator<QueuedFd> it = fds.iterator();
        while (it.hasNext()) {
            QueuedFd q = it.next();
            if (q == except) continue;
            if (q.chunkEnd <= offset) throw new ImsgProtocolException("descriptor received with no message claiming it");
            return; // queued in arrival order: later ones arrived with later chunks
        }
    }

    private void makeRoom(int n) {
        if (buf.length - tail >= n) return;
        int pending = tail - head;
        if (pending + n > buf.length) buf = Arrays.copyOf(buf, Math.max(2 * buf.length, pending + n));
        System.arraycopy(buf, head, buf, 0, pending);
        head = 0;
        tail = pending;
    }
}

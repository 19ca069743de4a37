package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.util.Arrays;
import vmd.sys.Fds;
import vmd.sys.NativeException;
import vmd.sys.UnixSockets;

/**
 * Blocking vhost-user framing over a connected SOCK_STREAM Unix socket.
 *
 * <p>Each message goes out as one sendmsg (header and payload together, its descriptors
 * attached to the first byte). Receiving reads the 12-byte header, then exactly the
 * payload, so a read never crosses into the next message; descriptors are collected from
 * every recvmsg of the message (on Linux they come with the first, since the kernel does
 * not merge a message carrying descriptors with the bytes around it).
 *
 * <p>Not thread-safe: one thread sends and receives. {@link #shutdown()} may be called
 * from any thread to wake a blocked receiver.
 */
public final class VhostUserConnection implements AutoCloseable {
    private static final int EINTR = 4, EAGAIN = 11, EPIPE = 32, ECONNRESET = 104, ENOTCONN = 107;

    private final int fd;
    private final ByteBuffer header = ByteBuffer.allocateDirect(VhostUserCodec.HEADER_SIZE);
    private volatile boolean closed;
    private boolean fdClosed;

    /** Takes ownership of {@code fd}, a connected stream socket. */
    public VhostUserConnection(int fd) {
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    /** Sends one message with its descriptors (which stay open: the caller owns them). */
    public void send(VhostUserMessage m) {
        ByteBuffer bytes = VhostUserCodec.encode(m);
        int[] fds = Arrays.stream(m.fds()).filter(f -> f >= 0).toArray();
        try {
            UnixSockets.sendFully(fd, bytes, fds);
        } catch (NativeException e) {
            if (e.errno() == EPIPE || e.errno() == ECONNRESET || e.errno() == ENOTCONN) {
                throw new VhostUserClosedException("peer closed the connection (" + m.name() + ": " + e.getMessage() + ")", e);
            }
            throw new VhostUserException("sending " + m.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Receives the next message, blocking. Returns null if the peer closed the connection
     * at a message boundary; throws {@link VhostUserClosedException} if it closed in the
     * middle of one, {@link VhostUserProtocolException} for a bad header (any descriptors
     * that came with it are closed).
     */
    public VhostUserMessage receive() {
        return receive(-1);
    }

    /**
     * As {@link #receive()}, waiting at most {@code timeoutMillis} (-1: forever) for the
     * whole message; a timeout throws {@link VhostUserClosedException}.
     */
    public VhostUserMessage receive(int timeoutMillis) {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        int[][] fds = {new int[0]};
        try {
            header.clear();
            if (!fill(header, fds, deadline, true, "a header")) return null;
            header.flip();
            VhostUserCodec.Header h = VhostUserCodec.decodeHeader(header);
            ByteBuffer payload = ByteBuffer.allocateDirect(h.size());
            if (h.size() > 0) fill(payload, fds, deadline, false, h.name());
            byte[] bytes = new byte[h.size()];
            payload.flip().get(bytes);
            if (fds[0].length > VhostUserCodec.MAX_FDS) {
                throw new VhostUserProtocolException(h.name() + ": " + fds[0].length + " descriptors, at most " + VhostUserCodec.MAX_FDS);
            }
            VhostUserMessage m = new VhostUserMessage(h.request(), h.flags(), bytes, fds[0]);
            fds[0] = new int[0];
            return m;
        } finally {
            for (int f : fds[0]) Fds.closeQuietly(f);
        }
    }

    /** Fills {@code into}; false if EOF came before the first byte and {@code eofOk}. */
    private boolean fill(ByteBuffer into, int[][] fds, long deadline, boolean eofOk, String what) {
        while (into.hasRemaining()) {
            if (deadline != Long.MAX_VALUE) waitReadable(deadline);
            UnixSockets.Received r;
            try {
                r = UnixSockets.receive(fd, into);
            } catch (NativeException e) {
                if (e.errno() == EINTR || e.errno() == EAGAIN) continue;
                if (e.errno() == ECONNRESET || e.errno() == ENOTCONN) {
                    throw new VhostUserClosedException("peer reset the connection", e);
                }
                throw new VhostUserException("receiving: " + e.getMessage(), e);
            }
            if (r.fds().length > 0) {
                int[] all = Arrays.copyOf(fds[0], fds[0].length + r.fds().length);
                System.arraycopy(r.fds(), 0, all, fds[0].length, r.fds().length);
                fds[0] = all;
            }
            if (r.bytes() == 0) {
                if (eofOk && into.position() == 0 && fds[0].length == 0) return false;
                throw new VhostUserClosedException("peer closed the connection in the middle of " + what + " ("
                        + into.position() + " of " + into.capacity() + " bytes)");
            }
        }
        return true;
    }

    private void waitReadable(long deadline) {
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) throw new VhostUserClosedException("no reply within the timeout");
            int ev = Fds.poll(fd, Fds.POLLIN, (int) Math.min(left, Integer.MAX_VALUE));
            if (ev != 0) return;
        }
    }

    /** Shuts the socket down in both directions (the peer sees EOF, a blocked receive returns). */
    public synchronized void shutdown() {
        closed = true;
        if (!fdClosed) UnixSockets.shutdownQuietly(fd);
    }

    /**
     * Closes the socket, once: a second close (a failed reconnect's connection closed again
     * when the next one replaces it) must not close the same number after the kernel has
     * given it to another descriptor, such as the next back-end's socket.
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (fdClosed) return;
        fdClosed = true;
        Fds.closeQuietly(fd);
    }
}

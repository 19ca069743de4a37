package vmd.imsg;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.NativeException;
import vmd.sys.UnixSockets;

/**
 * One peer over a connected SOCK_STREAM unix socket, which the channel owns.
 *
 * <p>Sending is thread-safe: each frame goes out whole, its descriptor with its first byte,
 * before another sender may start. Receiving is one reader ({@link #run} or {@link #start})
 * that decodes frames and hands them to an {@link ImsgHandler}.
 *
 * <p>A malformed frame, an unclaimed descriptor or a failing handler closes this channel and
 * nothing else: one error line names the peer and the reason, the socket and every unclaimed
 * descriptor are closed, and the handler hears {@code closed(reason)}. A peer that misbehaves
 * cannot take the process, or its other channels, down with it.
 *
 * <p>The socket number is released only when no thread can be inside a call on it (the reader
 * has returned and no send is in flight), so a recycled descriptor number is never read or
 * written by mistake. {@link #close()} shuts the socket down first, which wakes both.
 */
public final class ImsgChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImsgChannel.class);
    private static final int EINTR = 4, EPIPE = 32, ECONNRESET = 104;
    private static final int RECEIVE_BUFFER = 64 * 1024;

    private final int sock;
    private final String peer;
    // Lock order: sendLock before state or fdLock; state and fdLock are held only briefly.
    private final Object state = new Object();    // guards reading, closing, closeReason
    private final Object sendLock = new Object(); // one frame at a time
    private final Object fdLock = new Object();   // guards sockReleased; held across shutdown and close
    private boolean reading;
    private volatile boolean closing;
    private String closeReason;
    private boolean sockReleased;                 // set only while holding sendLock and fdLock

    /**
     * Takes ownership of {@code sock}. {@code peer} names the other side in logs, for example
     * {@code "vm web (pid 1234)"}.
     */
    public ImsgChannel(int sock, String peer) {
        this.sock = sock;
        this.peer = peer;
    }

    public String peer() {
        return peer;
    }

    public boolean isClosed() {
        return closing;
    }

    /** Why the channel closed, or null while it is open. */
    public String closeReason() {
        synchronized (state) {
            return closeReason;
        }
    }

    /**
     * Sends one message, its descriptor (if any) attached. The descriptor stays the caller's:
     * the kernel passes a duplicate. Throws {@link ImsgChannelClosedException} if the channel is
     * closed or the peer has gone, {@link IllegalArgumentException} if the message breaks its
     * type's rules, {@link NativeException} if the kernel refuses the descriptor (EBADF).
     */
    public void send(Imsg msg) {
        ByteBuffer frame = ImsgEncoder.encode(msg);
        int[] fds = msg.hasFd() ? new int[] {msg.fd()} : new int[0];
        synchronized (sendLock) {
            if (closing) throw new ImsgChannelClosedException("imsg channel to " + peer + " is closed");
            try {
                while (frame.hasRemaining()) {
                    int before = frame.position();
                    try {
                        UnixSockets.send(sock, frame, frame.position() == 0 ? fds : new int[0]);
                    } catch (NativeException e) {
                        if (e.errno() == EINTR && frame.position() == before) continue;
                        throw e;
                    }
                }
            } catch (NativeException e) {
                boolean peerGone = e.errno() == EPIPE || e.errno() == ECONNRESET;
                if (!peerGone && frame.position() == 0) throw e; // nothing sent: the stream is intact
                // A partial frame cannot be taken back: the stream is unusable from here on.
                String reason = peerGone ? "peer closed the channel" : "send of " + msg.type() + " failed: " + e.getMessage();
                beginClose(reason);
                throw new ImsgChannelClosedException("imsg channel to " + peer + ": " + reason, e);
            }
        }
    }

    public void send(ImsgType type, ImsgPayload payload) {
        send(Imsg.of(type, payload));
    }

    /** Reads and dispatches messages on the calling thread until the channel closes. */
    public void run(ImsgHandler handler) {
        if (claimReader(handler)) readLoop(handler);
    }

    /** Starts the reader on a daemon thread named after the peer, and returns the thread. */
    public Thread start(ImsgHandler handler) {
        boolean claimed = claimReader(handler);
        Thread t = new Thread(() -> {
            if (claimed) readLoop(handler);
        }, "imsg " + peer);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Closes the channel; idempotent. A running reader wakes, calls {@code closed} and returns. */
    @Override
    public void close() {
        beginClose("closed locally");
    }

    @Override
    public String toString() {
        return "imsg channel to " + peer;
    }

    /** Marks the reader as running; if the channel is already closed, tells the handler at once. */
    private boolean claimReader(ImsgHandler handler) {
        String reason;
        synchronized (state) {
            if (reading) throw new IllegalStateException(this + " already has a reader");
            if (!closing) {
                reading = true;
                return true;
            }
            reason = closeReason;
        }
        notifyClosed(handler, reason);
        return false;
    }

    private void readLoop(ImsgHandler handler) {
        ImsgDecoder decoder = new ImsgDecoder();
        ByteBuffer in = ByteBuffer.allocate(RECEIVE_BUFFER);
        String reason = null;
        try {
            reason = pump(decoder, in, handler);
        } catch (RuntimeException e) {
            reason = "reader failed: " + e;
            log.error("imsg: closing channel to {}: {}", peer, reason, e);
        } finally { // also on an Error, which then ends this thread only
            decoder.closeQueuedFds();
            reason = finishClose(reason);
            notifyClosed(handler, reason);
        }
    }

    /** Receives and dispatches until the channel must close; returns why (null if closed locally). */
    private String pump(ImsgDecoder decoder, ByteBuffer in, ImsgHandler handler) {
        while (!closing) {
            in.clear();
            UnixSockets.Received r;
            try {
                r = UnixSockets.receive(sock, in);
            } catch (NativeException e) {
                if (e.errno() == EINTR) continue;
                if (closing) return null;
                return fail(e.getMessage());
            }
            if (r.eof()) {
                if (closing) return null;
                if (decoder.pendingBytes() > 0) return fail("peer closed the channel mid-frame (" + decoder.pendingBytes() + " bytes pending)");
                log.debug("imsg: channel to {} closed by peer", peer);
                return "peer closed the channel";
            }
            decoder.feed(in.flip(), r.fds()); // the decoder owns the received fds from here
            while (true) {
                Imsg msg;
                try {
                    msg = decoder.next();
                } catch (ImsgProtocolException e) {
                    return fail(e.getMessage());
                }
                if (msg == null) break;
                if (closing) {
                    Fds.closeQuietly(msg.fd());
                    return null;
                }
                String failure = dispatch(handler, msg);
                if (failure != null) return failure;
            }
        }
        return null;
    }

    /** Runs the handler for one message; returns a close reason if it threw. */
    private String dispatch(ImsgHandler handler, Imsg msg) {
        try {
            handler.handle(this, msg);
            return null;
        } catch (ImsgProtocolException e) {
            return fail(e.getMessage());
        } catch (Exception e) {
            String reason = "handler failed on " + msg.type() + ": " + e;
            log.error("imsg: closing channel to {}: {}", peer, reason, e);
            return reason;
        }
    }

    private String fail(String reason) {
        log.error("imsg: closing channel to {}: {}", peer, reason);
        return reason;
    }

    /** Records the reason (first one wins), shuts the socket down, and releases it if no reader holds it. */
    private void beginClose(String reason) {
        boolean release;
        synchronized (state) {
            if (closing) return;
            closing = true;
            closeReason = reason;
            release = !reading;
        }
        shutdownSocket();
        if (release) releaseSocket();
    }

    /** The reader is done: close everything and return the reason the handler hears. */
    private String finishClose(String readerReason) {
        synchronized (state) {
            reading = false;
            if (!closing) {
                closing = true;
                closeReason = readerReason != null ? readerReason : "closed locally";
            }
            readerReason = closeReason;
        }
        shutdownSocket(); // wakes a sender blocked on a full socket, so releaseSocket can proceed
        releaseSocket();
        return readerReason;
    }

    /** Closes the descriptor once no send can be in flight (sendLock) and no shutdown is (fdLock). */
    private void releaseSocket() {
        synchronized (sendLock) {
            synchronized (fdLock) {
                if (sockReleased) return;
                sockReleased = true;
                Fds.closeQuietly(sock);
            }
        }
    }

    private void notifyClosed(ImsgHandler handler, String reason) {
        try {
            handler.closed(this, reason);
        } catch (RuntimeException e) {
            log.error("imsg: closed handler for channel to {} failed", peer, e);
        }
    }

    /**
     * shutdown(2), which wakes a thread blocked in recvmsg or sendmsg on this socket (closing
     * the descriptor would not), and tells the peer. Done under fdLock so it can never hit a
     * recycled descriptor number.
     */
    private void shutdownSocket() {
        synchronized (fdLock) {
            if (!sockReleased) UnixSockets.shutdownQuietly(sock);
        }
    }
}

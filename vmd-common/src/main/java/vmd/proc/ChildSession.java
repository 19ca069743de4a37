package vmd.proc;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;
import vmd.imsg.ChildFd;
import vmd.imsg.ChildReady;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgHandler;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.ImsgType;
import vmd.imsg.LogLevel;
import vmd.imsg.StatsSample;
import vmd.imsg.StatsSamples;
import vmd.sys.Fds;
import vmd.sys.Processes;

/**
 * A child's side of its channel to the parent: say CHILD_READY, collect the labelled
 * descriptors (CHILD_FD) until CHILD_CONFIG arrives, then deliver every later message
 * (SHUTDOWN, ...) to an inbox the child's main loop reads. LOG_LEVEL is applied here, so
 * a device process busy serving its rings follows {@code vmctl log} too.
 *
 * <p>This is the only way a child learns its configuration: it opens no paths.
 */
public final class ChildSession {
    /** Put in the inbox when the parent's channel closes. */
    public static final Imsg CLOSED = Imsg.of(ImsgType.CHILD_EXITING);

    private final ImsgChannel channel;
    private final Map<String, Integer> fds = new HashMap<>();
    private final BlockingQueue<Imsg> inbox = new LinkedBlockingQueue<>();
    private Imsg config;
    /** What STATS_REQUEST is answered with; nothing until the child says ({@link #serveStats}). */
    private volatile Supplier<List<StatsSample>> stats = List::of;

    private ChildSession(ImsgChannel channel) {
        this.channel = channel;
    }

    /** Sets up the child process, connects to the parent and waits for the configuration. */
    public static ChildSession begin(String kind) throws InterruptedException {
        int fd = ChildProcess.begin();
        ChildSession session = new ChildSession(new ImsgChannel(fd, "parent"));
        session.channel.start(session.new Receiver());
        session.channel.send(ImsgType.CHILD_READY, new ChildReady(kind, Processes.pid(), AotCache.state()));
        synchronized (session) {
            while (session.config == null && !session.channel.isClosed()) session.wait(1000);
        }
        if (session.config == null) {
            throw new IllegalStateException("parent closed the channel before sending the configuration: "
                    + session.channel.closeReason());
        }
        return session;
    }

    private final class Receiver implements ImsgHandler {
        @Override
        public void handle(ImsgChannel ch, Imsg msg) {
            synchronized (ChildSession.this) {
                if (config == null) {
                    if (msg.type() == ImsgType.CHILD_NAME) {
                        Logging.rename(msg.decode(vmd.imsg.Reason::decode).text()); // a spare taking a device
                        return;
                    }
                    if (msg.type() == ImsgType.CHILD_FD) {
                        String label = msg.decode(ChildFd::decode).label();
                        Integer old = fds.put(label, msg.fd());
                        if (old != null) Fds.closeQuietly(old);
                        return;
                    }
                    if (msg.type() != ImsgType.CHILD_CONFIG) {
                        if (msg.hasFd()) Fds.closeQuietly(msg.fd());
                        throw new ImsgProtocolException("expected CHILD_FD or CHILD_CONFIG before anything else, got " + msg.type());
                    }
                    config = msg;
                    ChildSession.this.notifyAll();
                    return;
                }
            }
            if (msg.type() == ImsgType.STATS_REQUEST) {
                answerStats(msg.peerId());
                return;
            }
            if (msg.type() == ImsgType.LOG_LEVEL) {
                int v = msg.decode(LogLevel::decode).verbosity();
                Logging.setVerbosity(v); // every child, whatever its main loop does
                LoggerFactory.getLogger(ChildSession.class).info("log level {}", v > 0 ? "verbose" : "brief");
                return;
            }
            inbox.add(msg);
        }

        @Override
        public void closed(ImsgChannel ch, String reason) {
            synchronized (ChildSession.this) {
                ChildSession.this.notifyAll();
            }
            inbox.add(CLOSED);
        }
    }

    /**
     * Answers the parent's STATS_REQUESTs with {@code source}'s samples from now on. They are
     * answered on the channel's reader thread, so a main loop busy with something else (a
     * device serving its rings, a vm process sending a snapshot) still answers at once:
     * {@code source} must only read counters.
     */
    public void serveStats(Supplier<List<StatsSample>> source) {
        stats = java.util.Objects.requireNonNull(source, "source");
    }

    private void answerStats(int requestId) {
        List<StatsSample> samples;
        try {
            samples = stats.get();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(ChildSession.class).warn("stats not collected: {}", e.toString());
            samples = List.of();
        }
        try {
            channel.send(Imsg.of(ImsgType.STATS_RESPONSE, StatsSamples.fitting(samples)).withPeerId(requestId));
        } catch (vmd.imsg.ImsgChannelClosedException e) {
            // the parent has gone: nobody waits for the answer
        }
    }

    public Imsg config() {
        return config;
    }

    public ImsgChannel channel() {
        return channel;
    }

    /** Takes the descriptor sent under {@code label}, or -1 if none came. */
    public synchronized int takeFd(String label) {
        Integer fd = fds.remove(label);
        return fd == null ? -1 : fd;
    }

    public BlockingQueue<Imsg> inbox() {
        return inbox;
    }
}

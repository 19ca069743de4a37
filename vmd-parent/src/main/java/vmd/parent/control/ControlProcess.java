package vmd.parent.control;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.ChildFd;
import vmd.imsg.ChildReady;
import vmd.imsg.ControlParams;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgHandler;
import vmd.imsg.ImsgType;
import vmd.imsg.LogLevel;
import vmd.proc.Child;
import vmd.proc.ChildLauncher;
import vmd.proc.ChildSpec;
import vmd.proc.Privileges;

/**
 * The parent's view of "vmd control": spawns it (as the unprivileged user) with the
 * listening socket, passes every request it forwards to {@code requests} on the event
 * thread, and sends replies back. If it dies it is started again, a second later, with
 * the same socket: clients connected at that moment see their connection close, VMs are
 * not touched.
 */
public final class ControlProcess {
    private static final Logger log = LoggerFactory.getLogger(ControlProcess.class);
    public static final int MAX_CLIENTS = 128;
    public static final int MAX_BUFFERED = 256 * 1024;

    private final ChildLauncher launcher;
    private final Privileges privileges;
    private final ControlSocket socket;
    private final Executor events;
    private final java.util.concurrent.ScheduledExecutorService timer;
    private Consumer<Imsg> requests = m -> { };
    private Consumer<Imsg> scrapes = m -> { };
    /** The metrics listening sockets the control process serves (event thread). */
    private java.util.List<vmd.parent.metrics.MetricsListeners.Endpoint> metrics = java.util.List.of();
    private volatile ImsgChannel channel;
    private volatile Child child;
    private volatile boolean stopping;
    private volatile int verbosity;
    private final java.util.concurrent.CompletableFuture<Void> ready = new java.util.concurrent.CompletableFuture<>();

    public ControlProcess(ChildLauncher launcher, Privileges privileges, ControlSocket socket, Executor events,
            java.util.concurrent.ScheduledExecutorService timer, int verbosity) {
        this.launcher = launcher;
        this.privileges = privileges;
        this.socket = socket;
        this.events = events;
        this.timer = timer;
        this.verbosity = verbosity;
    }

    /** Where forwarded requests go (called on the event thread). */
    public void onRequest(Consumer<Imsg> handler) {
        this.requests = handler;
    }

    /** Where the control process's STATS_REQUESTs go (called on the event thread). */
    public void onScrape(Consumer<Imsg> handler) {
        this.scrapes = handler;
    }

    /**
     * The metrics endpoints to serve (the caller keeps the sockets): the running control
     * process drops the ones it has and takes these; a restarted one gets them at its start.
     * Call on the event thread.
     */
    public void metrics(java.util.List<vmd.parent.metrics.MetricsListeners.Endpoint> endpoints) {
        metrics = java.util.List.copyOf(endpoints);
        if (channel == null) return;
        send(Imsg.of(ImsgType.METRICS_STOP));
        sendMetrics(channel);
    }

    private void sendMetrics(ImsgChannel ch) {
        for (vmd.parent.metrics.MetricsListeners.Endpoint e : metrics) {
            try {
                ch.send(Imsg.of(ImsgType.METRICS_SERVE, vmd.imsg.Reason.of(e.label())).withFd(e.fd()));
            } catch (RuntimeException ex) {
                log.warn("metrics endpoint {} not passed to the control process: {}", e.label(), ex.getMessage());
            }
        }
    }

    /** Completes when the first control process has said CHILD_READY. */
    public java.util.concurrent.CompletableFuture<Void> ready() {
        return ready;
    }

    /** Spawns the control process; call on the event thread (children die with their spawning thread). */
    public void start() {
        Child c = launcher.spawn(new ChildSpec("control", "control", ControlMain.class.getName(), java.util.List.of(), privileges));
        ImsgChannel ch = new ImsgChannel(c.socket(), "control (pid " + c.pid() + ")");
        ch.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd(ControlParams.FD_LISTENER)).withFd(socket.fd()));
        ch.send(ImsgType.CHILD_CONFIG, new ControlParams(MAX_CLIENTS, MAX_BUFFERED, verbosity));
        sendMetrics(ch);
        child = c;
        channel = ch;
        ch.start(new Handler());
        c.exit().thenAccept(status -> {
            ch.close();
            if (stopping) return;
            log.error("control process {} {}; restarting it", c.pid(), status);
            timer.schedule(() -> events.execute(() -> {
                if (!stopping) start();
            }), 1, TimeUnit.SECONDS);
        });
        log.debug("spawned control process {}", c.pid());
    }

    /** A reply for the client named by {@code msg.peerId()}. Dropped if the control process is gone. */
    public void send(Imsg msg) {
        ImsgChannel ch = channel;
        if (ch == null) return;
        try {
            ch.send(msg);
        } catch (RuntimeException e) {
            log.debug("reply {} to control not sent: {}", msg.type(), e.getMessage());
        }
    }

    public void verbosity(int level) {
        verbosity = level;
        send(Imsg.of(ImsgType.LOG_LEVEL, new LogLevel(level)));
    }

    public int pid() {
        Child c = child;
        return c == null ? -1 : c.pid();
    }

    /** Stops the control process (daemon shutdown). */
    public void stop() {
        stopping = true;
        send(Imsg.of(ImsgType.SHUTDOWN, new vmd.imsg.Shutdown(1000)));
    }

    private final class Handler implements ImsgHandler {
        @Override
        public void handle(ImsgChannel ch, Imsg msg) {
            switch (msg.type()) {
                case CHILD_READY -> {
                    ChildReady r = msg.decode(ChildReady::decode);
                    log.debug("control process ready as pid {} (AOT cache: {})", r.pid(), r.aot());
                    vmd.proc.AotCache.checkReady(r.kind(), r.aot());
                    ready.complete(null);
                }
                case START_VM_REQUEST, TERMINATE_VM_REQUEST, WAIT_VM_REQUEST, PAUSE_VM_REQUEST, UNPAUSE_VM_REQUEST,
                        GET_INFO_VM_REQUEST, CTL_VERBOSE, RESET, LOAD, RELOAD, CTL_PEER_CLOSED, SEND_VM_REQUEST,
                        RECEIVE_VM_REQUEST ->
                        events.execute(() -> requests.accept(msg));
                case STATS_REQUEST -> events.execute(() -> scrapes.accept(msg));
                default -> throw new vmd.imsg.ImsgProtocolException("unexpected " + msg.type() + " from the control process");
            }
        }
    }
}

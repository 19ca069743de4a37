package vmd.parent.vms;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.ChildFd;
import vmd.imsg.ChildReady;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgHandler;
import vmd.imsg.ImsgPayload;
import vmd.imsg.ImsgType;
import vmd.proc.Child;
import vmd.proc.ChildLauncher;
import vmd.proc.ChildSpec;
import vmd.proc.Privileges;
import vmd.sys.Fds;
import vmd.sys.Signals;
import vmd.sys.UnixSockets;
import vmd.sys.WaitStatus;

/**
 * A device process (vioblk, vionet) of one VM: spawned in its sandbox with its
 * descriptors, parameters and one end of a fresh vhost-user socketpair. When it dies the
 * parent hears how, and nothing else dies with it. The parent keeps its own duplicates of
 * the device's descriptors (image layers, tap) for the VM's life, so it can
 * {@link #restart} the device with the same resources; they are closed by
 * {@link #release}.
 */
public final class DeviceProcess {
    private static final Logger log = LoggerFactory.getLogger(DeviceProcess.class);

    private final String kind;
    private final String name;
    private final String vmLabel;
    private final String mainClass;
    private final Map<String, Integer> fds = new LinkedHashMap<>();
    private final String vhostLabel;
    private final ImsgPayload params;
    private final RestartBudget budget;
    private ChildLauncher launcher;
    private Privileges privileges;
    private Executor events;
    private Consumer<WaitStatus> onExit;
    private SpareDevices spares;
    private Child child;
    private ImsgChannel channel;
    private boolean released;
    private final vmd.parent.metrics.StatsRequests stats = new vmd.parent.metrics.StatsRequests();

    /**
     * @param vmLabel    the vm process's label for the device's socket ("vioblk0", "vionet1")
     * @param deviceFds  the device's descriptors by label; duplicated, the caller keeps its own
     * @param vhostLabel the label under which the device gets its vhost-user socket
     */
    public DeviceProcess(String kind, String name, String vmLabel, String mainClass, Map<String, Integer> deviceFds,
                         String vhostLabel, ImsgPayload params, RestartBudget budget) {
        this.kind = kind;
        this.name = name;
        this.vmLabel = vmLabel;
        this.mainClass = mainClass;
        this.vhostLabel = vhostLabel;
        this.params = params;
        this.budget = budget;
        try {
            for (Map.Entry<String, Integer> e : deviceFds.entrySet()) fds.put(e.getKey(), Fds.dup(e.getValue()));
        } catch (RuntimeException e) {
            closeFds();
            throw e;
        }
    }

    /**
     * Spawns the first process; returns the vm process's end of its vhost-user socket (the
     * caller owns it). {@code onExit} runs on {@code events} whenever a process of this
     * device has been reaped, until {@link #release}.
     */
    public int start(ChildLauncher launcher, Privileges privileges, Executor events, Consumer<WaitStatus> onExit) {
        return start(launcher, privileges, events, onExit, null);
    }

    /** As above; restarts take a warm spare process from {@code spares} (may be null) when one is there. */
    int start(ChildLauncher launcher, Privileges privileges, Executor events, Consumer<WaitStatus> onExit,
              SpareDevices spares) {
        this.spares = spares;
        this.launcher = launcher;
        this.privileges = privileges;
        this.events = events;
        this.onExit = onExit;
        return spawn(null);
    }

    /**
     * Spawns a new process with the same descriptors and parameters and a new socketpair.
     * {@code onReady} gets the vm process's end (and owns it) on the event executor once
     * the new process is up; if it dies first the end is closed and {@code onExit} runs.
     */
    public void restart(IntConsumer onReady) {
        if (released) throw new IllegalStateException(name + " was released");
        spawn(java.util.Objects.requireNonNull(onReady, "onReady")); // the end goes to onReady
    }

    /** Whether another restart fits the budget (and records it). */
    boolean mayRestart() {
        return budget.tryRestart(System.nanoTime());
    }

    RestartBudget budget() {
        return budget;
    }

    private int spawn(IntConsumer onReady) {
        return spawn(onReady, onReady != null && spares != null);
    }

    private int spawn(IntConsumer onReady, boolean trySpare) {
        Privileges sandboxed = privileges.withNamespaces(Privileges.DEVICE_NAMESPACES);
        int[] pair = UnixSockets.streamPair();
        Child c;
        Child spare = trySpare ? spares.take(kind, sandboxed) : null;
        try {
            c = spare != null ? spare : launcher.spawn(new ChildSpec(kind, name, mainClass, List.of(), sandboxed));
        } catch (RuntimeException e) {
            Fds.closeQuietly(pair[0]);
            Fds.closeQuietly(pair[1]);
            throw e;
        }
        child = c;
        ImsgChannel channel = new ImsgChannel(c.socket(), name + " (pid " + c.pid() + ")");
        int[] vmEnd = {onReady == null ? -1 : pair[1]};
        try {
            if (spare != null) {
                log.info("{}: served by the spare {} process (pid {})", name, kind, c.pid());
                c.rename(name);
                channel.send(ImsgType.CHILD_NAME, vmd.imsg.Reason.of(name));
            }
            for (Map.Entry<String, Integer> fd : fds.entrySet()) {
                channel.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd(fd.getKey())).withFd(fd.getValue()));
            }
            channel.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd(vhostLabel)).withFd(pair[0]));
            channel.send(ImsgType.CHILD_CONFIG, params);
        } catch (RuntimeException e) {
            // The child died at once or the channel broke: nothing of this attempt may linger.
            channel.close();
            Fds.closeQuietly(pair[1]);
            Signals.killQuietly(c.pid(), Signals.SIGKILL);
            Fds.closeQuietly(pair[0]);
            pair[0] = -1; // closed: the finally below must not close a number the retry reuses
            if (spare != null) {
                log.warn("{}: the spare {} process (pid {}) failed ({}); starting a new one", name, kind, c.pid(), e.getMessage());
                return spawn(onReady, false);
            }
            throw e;
        } finally {
            Fds.closeQuietly(pair[0]);
        }
        channel.start(new ImsgHandler() {
            @Override
            public void handle(ImsgChannel ch, Imsg msg) {
                if (msg.type() == ImsgType.STATS_RESPONSE) {
                    stats.answered(ch, msg);
                    return;
                }
                if (msg.type() != ImsgType.CHILD_READY) {
                    log.debug("{}: {}", ch.peer(), msg.type());
                    return;
                }
                ChildReady ready = msg.decode(ChildReady::decode);
                vmd.proc.AotCache.checkReady(ready.kind(), ready.aot());
                if (onReady != null) events.execute(() -> {
                    int fd = vmEnd[0];
                    vmEnd[0] = -1;
                    if (fd >= 0 && child == c && !released) onReady.accept(fd);
                    else Fds.closeQuietly(fd);
                });
            }
        });
        this.channel = channel;
        c.exit().thenAccept(status -> events.execute(() -> {
            channel.close();
            Fds.closeQuietly(vmEnd[0]);
            vmEnd[0] = -1;
            if (child == c && !released) onExit.accept(status);
        }));
        return pair[1];
    }

    public String name() {
        return name;
    }

    /** "vioblk" or "vionet". */
    public String kind() {
        return kind;
    }

    /** The device's name in its VM ("disk0", "cdrom", "net1"): the last part of {@link #name}. */
    public String device() {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    /** Asks the running process for its metric samples; see {@link vmd.parent.metrics.StatsRequests#ask}. */
    public java.util.concurrent.CompletableFuture<java.util.List<vmd.imsg.StatsSample>> stats() {
        return stats.ask(alive() ? channel : null);
    }

    /** The vm process's label for this device. */
    public String vmLabel() {
        return vmLabel;
    }

    public int pid() {
        return child == null ? -1 : child.pid();
    }

    public boolean alive() {
        return child != null && !child.exit().isDone();
    }

    public void kill() {
        if (alive()) Signals.kill(child.pid(), Signals.SIGKILL);
    }

    /** {@code vmctl log}: the running process changes its log level. */
    public void verbosity(int level) {
        ImsgChannel ch = channel;
        if (ch == null || !alive()) return;
        try {
            ch.send(Imsg.of(ImsgType.LOG_LEVEL, new vmd.imsg.LogLevel(level)));
        } catch (RuntimeException e) {
            log.debug("{}: log level not sent: {}", name, e.getMessage());
        }
    }

    /** Kills the current process and closes the parent's copies of the device's descriptors. */
    public void release() {
        released = true;
        kill();
        closeFds();
    }

    private void closeFds() {
        for (int fd : fds.values()) Fds.closeQuietly(fd);
        fds.clear();
    }
}

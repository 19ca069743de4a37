package vmd.parent.vms;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.ChildFd;
import vmd.imsg.ChildReady;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgHandler;
import vmd.imsg.ImsgType;
import vmd.imsg.Reason;
import vmd.imsg.Shutdown;
import vmd.imsg.VmParams;
import vmd.imsg.VmTerminated;
import vmd.proc.Child;
import vmd.proc.ChildLauncher;
import vmd.proc.ChildSpec;
import vmd.proc.Privileges;
import vmd.sys.Signals;
import vmd.sys.WaitStatus;

/**
 * One generation of a VM's vm process, as the parent sees it: spawn, hand over the
 * descriptors and configuration, relay requests, and learn how it ended — from its
 * VM_TERMINATED message if it sent one, else from how the process died.
 *
 * <p>Every callback runs on the parent's event executor, so the registry needs no locks.
 */
public final class VmProcess {
    private static final Logger log = LoggerFactory.getLogger(VmProcess.class);

    /** What the registry hears. */
    public interface Listener {
        void started(VmProcess vm, String summary);

        void ended(VmProcess vm, VmTerminated how);
    }

    private final VmParams params;
    private final Executor events;
    private final Listener listener;
    private Child child;
    private ImsgChannel channel;
    private VmTerminated reported;
    private boolean killed;
    private final CompletableFuture<VmTerminated> end = new CompletableFuture<>();
    /** Completes with the summary when the guest runs (VM_STARTED). */
    private final CompletableFuture<String> running = new CompletableFuture<>();
    private final vmd.parent.metrics.StatsRequests stats = new vmd.parent.metrics.StatsRequests();
    /** The vmctl send in progress, if any (event thread only). */
    private CompletableFuture<vmd.imsg.CtlResult> sending;

    public VmProcess(VmParams params, Executor events, Listener listener) {
        this.params = params;
        this.events = events;
        this.listener = listener;
    }

    /**
     * Spawns the vm process and sends it {@code fds} (label -> descriptor; the caller
     * closes its copies afterwards) and its parameters. Call on the event thread.
     */
    public void start(ChildLauncher launcher, Privileges privileges, Map<String, Integer> fds) {
        child = launcher.spawn(new ChildSpec("vm", "vm " + params.name(), "vmd.vm.VmMain", java.util.List.of(), privileges));
        channel = new ImsgChannel(child.socket(), child.name() + " (pid " + child.pid() + ")");
        // Queue everything now: the child reads it after saying CHILD_READY.
        for (Map.Entry<String, Integer> fd : fds.entrySet()) {
            channel.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd(fd.getKey())).withFd(fd.getValue()));
        }
        channel.send(ImsgType.CHILD_CONFIG, params);
        channel.start(new Handler());
        child.exit().thenAccept(status -> events.execute(() -> reaped(status)));
    }

    private final class Handler implements ImsgHandler {
        @Override
        public void handle(ImsgChannel ch, Imsg msg) {
            switch (msg.type()) {
                case CHILD_READY -> {
                    ChildReady ready = msg.decode(ChildReady::decode);
                    log.debug("{} ready as {} {} (AOT cache: {})", ch.peer(), ready.kind(), ready.pid(), ready.aot());
                    vmd.proc.AotCache.checkReady(ready.kind(), ready.aot());
                }
                case VM_STARTED -> {
                    String summary = msg.decode(Reason::decode).text();
                    events.execute(() -> {
                        running.complete(summary);
                        listener.started(VmProcess.this, summary);
                    });
                }
                case VM_TERMINATED -> {
                    VmTerminated how = msg.decode(VmTerminated::decode);
                    events.execute(() -> reported = how);
                }
                case PAUSE_VM_RESPONSE, UNPAUSE_VM_RESPONSE -> { }
                case STATS_RESPONSE -> stats.answered(ch, msg);
                case SEND_VM_RESPONSE -> {
                    vmd.imsg.CtlResult r = msg.decode(vmd.imsg.CtlResult::decode);
                    events.execute(() -> {
                        if (sending != null) sending.complete(r);
                    });
                }
                default -> throw new vmd.imsg.ImsgProtocolException("unexpected " + msg.type() + " from a vm process");
            }
        }
    }

    private void reaped(WaitStatus status) {
        channel.close();
        VmTerminated how = reported != null ? reported
                : killed ? new VmTerminated(VmTerminated.ExitKind.KILLED, "forced off")
                : new VmTerminated(VmTerminated.ExitKind.ERROR, "vm process " + status);
        end.complete(how);
        running.completeExceptionally(new IllegalStateException(how.reason()));
        if (sending != null) sending.complete(vmd.imsg.CtlResult.fail(5, "vm process ended: " + how.reason()));
        listener.ended(this, how);
    }

    public VmParams params() {
        return params;
    }

    public int pid() {
        return child == null ? -1 : child.pid();
    }

    public CompletableFuture<VmTerminated> end() {
        return end;
    }

    public CompletableFuture<String> running() {
        return running;
    }

    /**
     * vmctl send: the vm process writes the snapshot to {@code fd} (the caller keeps its
     * copy) and ends if it succeeds. Completes with its answer. Call on the event thread.
     */
    public CompletableFuture<vmd.imsg.CtlResult> send(int fd, boolean live) {
        if (sending != null && !sending.isDone()) {
            return CompletableFuture.completedFuture(vmd.imsg.CtlResult.fail(16, "a send is already in progress"));
        }
        sending = new CompletableFuture<>();
        try {
            channel.send(Imsg.of(ImsgType.SEND_VM_REQUEST, vmd.imsg.VmOp.of(params.name(), live ? vmd.imsg.VmOp.LIVE : 0)).withFd(fd));
        } catch (RuntimeException e) {
            sending.complete(vmd.imsg.CtlResult.fail(5, "vm process not reachable: " + e.getMessage()));
        }
        return sending;
    }

    /** Asks the vm process for its metric samples; see {@link vmd.parent.metrics.StatsRequests#ask}. */
    public CompletableFuture<java.util.List<vmd.imsg.StatsSample>> stats() {
        return stats.ask(child == null || child.exit().isDone() ? null : channel);
    }

    /** Asks the guest to power off (ACPI power button); the vm process forces it after the timeout. */
    public void shutdown(int timeoutMillis) {
        sendQuietly(Imsg.of(ImsgType.SHUTDOWN, new Shutdown(timeoutMillis)));
    }

    /** Ends the VM at once. */
    public void kill() {
        if (child == null || child.exit().isDone()) return;
        killed = true;
        Signals.kill(child.pid(), Signals.SIGKILL);
    }

    public void pause() {
        sendQuietly(Imsg.of(ImsgType.PAUSE_VM_REQUEST));
    }

    public void unpause() {
        sendQuietly(Imsg.of(ImsgType.UNPAUSE_VM_REQUEST));
    }

    public void verbosity(int level) {
        sendQuietly(Imsg.of(ImsgType.LOG_LEVEL, new vmd.imsg.LogLevel(level)));
    }

    /** A device process was restarted: {@code fd} (the caller keeps its copy) is the socket to it. */
    public void reconnectDevice(String label, int fd) {
        sendQuietly(Imsg.of(ImsgType.DEVICE_RECONNECT, new ChildFd(label)).withFd(fd));
    }

    /** A device process is gone and will not be restarted. */
    public void deviceFailed(String label, String why) {
        sendQuietly(Imsg.of(ImsgType.DEVICE_FAILED, new vmd.imsg.DeviceFailed(label, why)));
    }

    private void sendQuietly(Imsg msg) {
        try {
            channel.send(msg);
        } catch (RuntimeException e) {
            log.debug("{}: {} not sent: {}", channel.peer(), msg.type(), e.getMessage());
        }
    }
}

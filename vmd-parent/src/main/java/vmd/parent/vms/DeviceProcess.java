package vmd.parent.vms;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.ChildFd;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgHandler;
import vmd.imsg.ImsgPayload;
import vmd.imsg.ImsgType;
import vmd.proc.Child;
import vmd.proc.ChildLauncher;
import vmd.proc.ChildSpec;
import vmd.proc.Privileges;
import vmd.sys.Signals;
import vmd.sys.WaitStatus;

/**
 * A device process (vioblk, vionet) of one VM: spawned in its sandbox with its
 * descriptors and parameters; when it dies the parent hears how, and nothing else dies
 * with it — the vm process sees its vhost-user peer go away and reports the device as
 * needing reset.
 */
public final class DeviceProcess {
    private static final Logger log = LoggerFactory.getLogger(DeviceProcess.class);

    private final String kind;
    private final String name;
    private Child child;
    private ImsgChannel channel;

    public DeviceProcess(String kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    /** Spawns it; {@code onExit} runs on the event executor when it has been reaped. */
    public void start(ChildLauncher launcher, Privileges privileges, String mainClass, Map<String, Integer> fds,
                      ImsgPayload params, Executor events, Consumer<WaitStatus> onExit) {
        child = launcher.spawn(new ChildSpec(kind, name, mainClass, List.of(),
                privileges.withNamespaces(Privileges.DEVICE_NAMESPACES)));
        channel = new ImsgChannel(child.socket(), name + " (pid " + child.pid() + ")");
        for (Map.Entry<String, Integer> fd : fds.entrySet()) {
            channel.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd(fd.getKey())).withFd(fd.getValue()));
        }
        channel.send(ImsgType.CHILD_CONFIG, params);
        channel.start(new ImsgHandler() {
            @Override
            public void handle(ImsgChannel ch, Imsg msg) {
                if (msg.type() != ImsgType.CHILD_READY) log.debug("{}: {}", ch.peer(), msg.type());
            }
        });
        child.exit().thenAccept(status -> events.execute(() -> {
            channel.close();
            onExit.accept(status);
        }));
    }

    public String name() {
        return name;
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
}

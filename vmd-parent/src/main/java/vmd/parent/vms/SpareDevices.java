package vmd.parent.vms;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.proc.Child;
import vmd.proc.ChildLauncher;
import vmd.proc.ChildSpec;
import vmd.proc.Privileges;
import vmd.sys.Fds;
import vmd.sys.Signals;

/**
 * Warm spare device processes (vm.conf {@code spare devices}): for each device kind one
 * process already spawned, sandboxed and dropped to the children's user, its JVM up and
 * waiting for descriptors and a configuration it has not got. A crashed device of any VM
 * is served by the spare, so its restart costs no JVM start; a new spare is spawned
 * behind it. A spare holds no guest data and no descriptor of any VM until it is taken.
 *
 * <p>Used only on the event thread (it spawns, so the children's parent-death signal
 * follows that long-lived thread).
 */
final class SpareDevices {
    private static final Logger log = LoggerFactory.getLogger(SpareDevices.class);
    /** Kinds that can be kept spare, with their main classes. */
    static final Map<String, String> KINDS = Map.of("vioblk", "vmd.vioblk.VioblkMain", "vionet", "vmd.vionet.VionetMain");

    private final Executor events;
    private final ChildLauncher launcher;
    private final Map<String, Child> spares = new HashMap<>();
    private Privileges privileges;
    private boolean enabled;

    SpareDevices(Executor events, ChildLauncher launcher, Privileges privileges) {
        this.events = events;
        this.launcher = launcher;
        this.privileges = privileges;
    }

    /** Turns the spares on or off (vm.conf, at start and reload); a change of user replaces them. */
    void configure(boolean on, Privileges privileges) {
        boolean changed = !privileges.equals(this.privileges);
        this.privileges = privileges;
        this.enabled = on;
        if (!on || changed) killAll();
        if (on) for (String kind : KINDS.keySet()) refill(kind);
    }

    boolean enabled() {
        return enabled;
    }

    /**
     * A running spare of {@code kind} that now belongs to the caller, or null (none, or
     * spares are off). A new spare is spawned behind it.
     */
    Child take(String kind, Privileges wanted) {
        Child c = spares.remove(kind);
        if (enabled && KINDS.containsKey(kind)) events.execute(() -> refill(kind));
        if (c == null) return null;
        if (c.exit().isDone() || !c.spec().privileges().equals(wanted)) {
            // dead, or from before a change of user: the device gets a fresh process
            discard(c);
            return null;
        }
        return c;
    }

    private static void discard(Child c) {
        if (!c.exit().isDone()) Signals.killQuietly(c.pid(), Signals.SIGKILL);
        Fds.closeQuietly(c.socket());
    }

    /** The spare processes' pids by kind, for status and tests. */
    Map<String, Integer> pids() {
        Map<String, Integer> out = new HashMap<>();
        spares.forEach((k, c) -> out.put(k, c.pid()));
        return out;
    }

    private void refill(String kind) {
        if (!enabled || spares.containsKey(kind)) return;
        Child c;
        try {
            c = launcher.spawn(new ChildSpec(kind, kind + " spare", KINDS.get(kind), List.of(),
                    privileges.withNamespaces(Privileges.DEVICE_NAMESPACES)));
        } catch (RuntimeException e) {
            log.warn("no spare {} process: {}", kind, e.getMessage());
            return;
        }
        spares.put(kind, c);
        c.exit().thenAccept(status -> events.execute(() -> {
            if (spares.get(kind) != c) return; // taken: its exit is its device's business now
            spares.remove(kind);
            Fds.closeQuietly(c.socket());
            log.warn("spare {} process (pid {}) {}; not replaced", kind, c.pid(), status);
        }));
    }

    /** Stops every spare (spares off, a new user, vmd exiting). */
    void killAll() {
        try {
            for (Child c : spares.values()) discard(c);
        } finally {
            spares.clear();
        }
    }
}

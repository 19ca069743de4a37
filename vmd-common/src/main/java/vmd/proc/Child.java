package vmd.proc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import vmd.sys.WaitStatus;

/**
 * A running child as the parent sees it: its pid, the parent's end of the socket whose
 * other end is the child's fd 3, and a future that completes when it has been reaped.
 * Its name is the spec's until {@link #rename} (a spare device process taking a device).
 */
public record Child(ChildSpec spec, int pid, int socket, CompletableFuture<WaitStatus> exit, AtomicReference<String> label) {
    public Child(ChildSpec spec, int pid, int socket, CompletableFuture<WaitStatus> exit) {
        this(spec, pid, socket, exit, new AtomicReference<>(spec.name()));
    }

    public String name() {
        return label.get();
    }

    /** From now on the child is known (and logged when it ends) as {@code name}. */
    public void rename(String name) {
        label.set(name);
    }

    @Override
    public String toString() {
        return name() + " (pid " + pid + ")";
    }
}

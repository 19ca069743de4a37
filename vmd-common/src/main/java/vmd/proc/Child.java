package vmd.proc;

import java.util.concurrent.CompletableFuture;
import vmd.sys.WaitStatus;

/**
 * A running child as the parent sees it: its pid, the parent's end of the socket whose
 * other end is the child's fd 3, and a future that completes when it has been reaped.
 */
public record Child(ChildSpec spec, int pid, int socket, CompletableFuture<WaitStatus> exit) {
    public String name() {
        return spec.name();
    }

    @Override
    public String toString() {
        return spec.name() + " (pid " + pid + ")";
    }
}

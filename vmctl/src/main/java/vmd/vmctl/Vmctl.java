package vmd.vmctl;

import java.io.PrintStream;

/** What every command gets: where vmd listens, and vmctl's output streams. */
final class Vmctl {
    final String socketPath;
    final boolean verbose;
    final PrintStream out;
    final PrintStream err;

    Vmctl(String socketPath, boolean verbose, PrintStream out, PrintStream err) {
        this.socketPath = socketPath;
        this.verbose = verbose;
        this.out = out;
        this.err = err;
    }

    ControlClient connect() {
        return ControlClient.connect(socketPath);
    }

    /** OpenBSD's warnx(): "vmctl: message" on stderr. */
    void warn(String message) {
        err.println("vmctl: " + message);
    }
}

package vmd.proc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.Prctl;
import vmd.sys.Processes;
import vmd.sys.Signals;

/**
 * The first thing every child's main calls: die with the parent, refuse new
 * privileges, and take the parent's socket from fd 3.
 */
public final class ChildProcess {
    public static final int PARENT_FD = 3;
    private static final Logger log = LoggerFactory.getLogger(ChildProcess.class);

    private ChildProcess() {}

    /** Returns fd 3 (close-on-exec from now on). Exits if the parent is already gone. */
    public static int begin() {
        Prctl.setParentDeathSignal(Signals.SIGKILL);
        Prctl.setNoNewPrivs();
        String expected = System.getenv(ChildLauncher.ENV_PARENT_PID);
        // The parent may have died between spawn and prctl; then we were reparented.
        if (expected != null && Integer.parseInt(expected) != Processes.parentPid()) {
            log.error("parent {} is gone; exiting", expected);
            System.exit(1);
        }
        Fds.setCloexec(PARENT_FD, true);
        return PARENT_FD;
    }
}

package vmd.sys;

import static vmd.sys.Native.check;
import static vmd.sys.Native.libc;

/** prctl(2): parent-death signal, no_new_privs, thread names. */
public final class Prctl {
    public static final int PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2;
    public static final int PR_SET_NAME = 15;
    public static final int PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;

    private Prctl() {}

    /** Asks the kernel to send {@code sig} to this process when the thread that spawned it exits. */
    public static void setParentDeathSignal(int sig) {
        check("prctl(PR_SET_PDEATHSIG)", libc().prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0));
    }

    public static void setNoNewPrivs() {
        check("prctl(PR_SET_NO_NEW_PRIVS)", libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    }

    public static boolean noNewPrivs() {
        return check("prctl(PR_GET_NO_NEW_PRIVS)", libc().prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)) == 1;
    }
}

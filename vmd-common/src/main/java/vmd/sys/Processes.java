package vmd.sys;

import static vmd.sys.Native.libc;

/** waitpid(2), pid queries. */
public final class Processes {
    private static final int EINTR = 4;

    private Processes() {}

    /** Blocks until {@code pid} ends and returns how. */
    public static WaitStatus waitFor(int pid) {
        int[] status = new int[1];
        while (true) {
            int rc = libc().waitpid(pid, status, 0);
            if (rc == pid) return WaitStatus.decode(pid, status[0]);
            int errno = Native.errno();
            if (rc < 0 && errno != EINTR) throw new NativeException("waitpid " + pid, errno);
        }
    }

    public static int pid() {
        return libc().getpid();
    }

    public static int parentPid() {
        return libc().getppid();
    }

    public static int tid() {
        return libc().gettid();
    }
}

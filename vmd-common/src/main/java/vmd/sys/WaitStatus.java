package vmd.sys;

/** How a child process ended, decoded from a waitpid(2) status. */
public record WaitStatus(int pid, int exitCode, int signal) {
    public static WaitStatus decode(int pid, int status) {
        int sig = status & 0x7f;
        if (sig == 0) return new WaitStatus(pid, (status >> 8) & 0xff, 0);
        return new WaitStatus(pid, -1, sig);
    }

    public boolean signaled() {
        return signal != 0;
    }

    public boolean success() {
        return signal == 0 && exitCode == 0;
    }

    @Override
    public String toString() {
        return signaled() ? "killed by signal " + signal : "exited with status " + exitCode;
    }
}

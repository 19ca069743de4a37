package vmd.sys;

import static vmd.sys.Native.checkReturned;
import static vmd.sys.Native.libc;

import static vmd.sys.Native.U64;

import java.lang.foreign.MemorySegment;

/** Signal sets, per-thread masks, directed signals and synchronous waits. */
public final class Signals {
    public static final int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12;
    public static final int SIGPIPE = 13, SIGTERM = 15, SIGCHLD = 17;
    public static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    /** glibc's sigset_t is 1024 bits; the kernel's is 64. */
    public static final int SIGSET_SIZE = 128;
    public static final int KERNEL_SIGSET_SIZE = 8;
    private static final int EAGAIN = 11, EINTR = 4;

    private Signals() {}

    /** First real-time signal applications may use (glibc reserves the lowest ones). */
    public static int sigrtmin() {
        return libc().__libc_current_sigrtmin();
    }

    public static MemorySegment emptySet() {
        MemorySegment set = Native.allocate(SIGSET_SIZE);
        libc().sigemptyset(set);
        return set;
    }

    public static MemorySegment fullSet() {
        MemorySegment set = Native.allocate(SIGSET_SIZE);
        libc().sigfillset(set);
        return set;
    }

    public static MemorySegment setOf(int... signals) {
        MemorySegment set = emptySet();
        for (int s : signals) libc().sigaddset(set, s);
        return set;
    }

    /** Changes the calling thread's mask; returns the previous mask. */
    public static MemorySegment threadMask(int how, MemorySegment set) {
        MemorySegment old = Native.allocate(SIGSET_SIZE);
        checkReturned("pthread_sigmask", libc().pthread_sigmask(how, set, old));
        return old;
    }

    public static MemorySegment currentThreadMask() {
        MemorySegment old = Native.allocate(SIGSET_SIZE);
        checkReturned("pthread_sigmask", libc().pthread_sigmask(SIG_BLOCK, MemorySegment.NULL, old));
        return old;
    }

    public static long pthreadSelf() {
        return libc().pthread_self();
    }

    public static void pthreadKill(long thread, int sig) {
        checkReturned("pthread_kill", libc().pthread_kill(thread, sig));
    }

    /**
     * Waits up to {@code timeoutNanos} for one of {@code set} (which must be blocked in this
     * thread) and consumes it. Returns the signal number, or 0 on timeout.
     */
    public static int timedWait(MemorySegment set, long timeoutNanos) {
        MemorySegment ts = Native.allocate(16);
        ts.set(U64, 0, timeoutNanos / 1_000_000_000L);
        ts.set(U64, 8, timeoutNanos % 1_000_000_000L);
        while (true) {
            int sig = libc().sigtimedwait(set, MemorySegment.NULL, ts);
            if (sig > 0) return sig;
            int errno = Native.errno();
            if (errno == EAGAIN) return 0;
            if (errno != EINTR) throw new NativeException("sigtimedwait", errno);
        }
    }

    /** Sends a signal to a process that may have exited already (ESRCH is not an error here). */
    public static void killQuietly(int pid, int sig) {
        libc().kill(pid, sig);
    }

    /** Sends a signal to a process. */
    public static void kill(int pid, int sig) {
        Native.check("kill", libc().kill(pid, sig));
    }
}

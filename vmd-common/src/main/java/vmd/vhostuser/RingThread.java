package vmd.vhostuser;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.Sched;

/**
 * The thread of a ring server ({@link VringWorker}, vionet's receive worker) and how it is
 * stopped: a flag for its loop and an eventfd for its poll set, so a thread blocked in
 * poll wakes at once; {@link #stop} waits until the thread is gone.
 */
public final class RingThread {
    private final Thread thread;
    private final int stopFd = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private volatile boolean stopping;

    public RingThread(String name, Runnable body) {
        this.thread = new Thread(() -> {
            shortSlice();
            body.run();
        }, name);
        thread.setDaemon(true);
    }

    /**
     * A ring thread's scheduler slice: {@value #SLICE_NANOS} ns instead of the kernel's
     * default (~1.4 ms here). A ring thread sleeps until a kick and then works briefly; on
     * a host whose CPUs the guests keep busy, a woken thread with a default slice could
     * wait for the running vCPU thread's slice, and the guest, which had just posted
     * buffers, ran its ring dry meanwhile (bench/README.md "vionet": frames into the
     * guest). It takes no larger share of the CPU.
     */
    static final long SLICE_NANOS = 100_000;

    private static void shortSlice() {
        try {
            Sched.setSlice(SLICE_NANOS);
        } catch (RuntimeException e) {
            if (sliceWarned.compareAndSet(false, true)) log.debug("ring threads keep the default scheduler slice: {}", e.getMessage());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(RingThread.class);
    private static final AtomicBoolean sliceWarned = new AtomicBoolean();

    public void start() {
        thread.start();
    }

    /** Put it in the thread's poll set: it becomes readable when {@link #stop} is called. */
    public int stopFd() {
        return stopFd;
    }

    public boolean stopping() {
        return stopping;
    }

    public String name() {
        return thread.getName();
    }

    /** Stops the thread and waits for it: afterwards its ring is not touched. */
    public void stop() {
        stopping = true;
        Fds.eventfdSignal(stopFd);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Fds.closeQuietly(stopFd);
    }
}

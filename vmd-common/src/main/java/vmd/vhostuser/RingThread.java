package vmd.vhostuser;

import vmd.sys.Fds;

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
        this.thread = new Thread(body, name);
        thread.setDaemon(true);
    }

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

package vmd.vm.kvm;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Signals;

/**
 * The platform thread that runs one vCPU, and the way other threads get it out of
 * KVM_RUN without losing a request (DESIGN.md section 4).
 *
 * <p>A real-time "kick" signal is blocked in this thread at all times except inside the
 * guest (KVM_SET_SIGNAL_MASK). A kick sent while the guest runs makes KVM_RUN return
 * EINTR; one sent while the thread is in Java stays pending and makes the next KVM_RUN
 * return at once. Either way the thread drains it with sigtimedwait; no Java signal
 * handler is involved. {@code kvm_run.immediate_exit} is set as well.
 */
public final class VcpuThread {
    /** What to do with a completed exit: keep running, or stop this vCPU. */
    public interface ExitHandler {
        boolean handleExit(Vcpu vcpu);
    }

    private static final Logger log = LoggerFactory.getLogger(VcpuThread.class);
    private static final int KICK_SIGNAL = Signals.sigrtmin() + 4;

    private final Vcpu vcpu;
    private final ExitHandler handler;
    private final Consumer<Throwable> onFailure;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final Object lock = new Object();
    private final Object kickLock = new Object();
    private long pthread;
    private boolean kickable;
    private volatile boolean stopRequested;
    private boolean pauseRequested;
    private boolean parked;

    public VcpuThread(Vcpu vcpu, ExitHandler handler, Consumer<Throwable> onFailure) {
        this.vcpu = vcpu;
        this.handler = handler;
        this.onFailure = onFailure;
        this.thread = new Thread(this::body, "vcpu-" + vcpu.id());
    }

    public static int kickSignal() {
        return KICK_SIGNAL;
    }

    public Vcpu vcpu() {
        return vcpu;
    }

    public void start() {
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void body() {
        MemorySegment kickSet = Signals.setOf(KICK_SIGNAL);
        try {
            Signals.threadMask(Signals.SIG_BLOCK, kickSet);
            vcpu.setRunSignalMask(Signals.currentThreadMask(), KICK_SIGNAL);
            synchronized (kickLock) {
                pthread = Signals.pthreadSelf();
                kickable = true;
            }
        } finally {
            started.countDown();
        }
        try {
            boolean exitPending = false;
            while (!stopRequested) {
                if (exitPending && pauseWanted()) {
                    // KVM finishes an I/O or MMIO exit only in the next KVM_RUN; with
                    // immediate_exit it does that and returns before any guest code, so a
                    // paused vCPU's registers are whole (api.rst, "kvm_run" immediate_exit).
                    vcpu.kvmRun().immediateExit(true);
                    vcpu.run();
                    Signals.timedWait(kickSet, 0);
                    vcpu.kvmRun().immediateExit(false);
                    exitPending = false;
                }
                if (waitWhilePaused()) break;
                if (!vcpu.run()) {
                    Signals.timedWait(kickSet, 0);
                    vcpu.kvmRun().immediateExit(false);
                    exitPending = false;
                    continue;
                }
                exitPending = true;
                if (!handler.handleExit(vcpu)) break;
            }
        } catch (Throwable t) {
            log.error("vcpu {} failed: {}", vcpu.id(), t.toString());
            onFailure.accept(t);
        } finally {
            // HotSpot restores the creator's signal mask when a thread ends; a kick still
            // pending then would be delivered with its default action and kill the process.
            synchronized (kickLock) {
                kickable = false;
            }
            while (Signals.timedWait(kickSet, 0) != 0) {
                // drained
            }
            synchronized (lock) {
                parked = true; // a stopped vCPU counts as parked for pause()
                lock.notifyAll();
            }
        }
    }

    private boolean pauseWanted() {
        synchronized (lock) {
            return pauseRequested;
        }
    }

    /** Parks while paused; returns true if a stop arrived meanwhile. */
    private boolean waitWhilePaused() {
        synchronized (lock) {
            while (pauseRequested && !stopRequested) {
                parked = true;
                lock.notifyAll();
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    return true;
                }
            }
            parked = false;
            return stopRequested;
        }
    }

    /** Interrupts KVM_RUN now, or makes the next one return immediately. */
    public void kick() {
        vcpu.kvmRun().immediateExit(true);
        synchronized (kickLock) {
            if (kickable) Signals.pthreadKill(pthread, KICK_SIGNAL);
        }
    }

    /** Stops the vCPU at its next exit and returns once it is out of the guest. */
    public void pause() {
        synchronized (lock) {
            pauseRequested = true;
        }
        kick();
        synchronized (lock) {
            while (!parked && thread.isAlive()) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!parked) kick();
            }
        }
    }

    public void unpause() {
        synchronized (lock) {
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    public boolean paused() {
        synchronized (lock) {
            return pauseRequested && parked;
        }
    }

    /** Asks the vCPU to stop; {@link #join} waits for it. */
    public void requestStop() {
        stopRequested = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        kick();
    }

    public void join() throws InterruptedException {
        while (thread.isAlive()) {
            thread.join(100);
            if (thread.isAlive()) kick();
        }
    }

    public boolean alive() {
        return thread.isAlive();
    }
}

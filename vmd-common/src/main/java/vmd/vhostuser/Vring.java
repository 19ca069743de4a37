package vmd.vhostuser;

import vmd.memory.GuestMemory;
import vmd.sys.Fds;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;

/**
 * A started, enabled ring as the back-end hands it to a {@link VhostUserDevice}: the
 * checked {@link VirtQueue} over the mapped guest memory (ring addresses already
 * translated from front-end user addresses to guest-physical), the kick descriptor to
 * wait on, and the call and error notifiers to signal.
 *
 * <p>The descriptors belong to the back-end: the device must not close them, and must not
 * touch the queue or the kick descriptor after {@link VhostUserDevice#stopQueue} returns.
 * The VirtQueue is not thread-safe: one device thread serves it.
 */
public final class Vring {
    private final int index;
    private final VirtQueue queue;
    private final int kickFd;
    private final GuestMemory memory;
    private final long features;
    private final EventNotifier call;
    private final EventNotifier err;
    /** processAvailable's current watch (adaptive) and when the ring last went to sleep; the ring's thread only. */
    private long lingerNanos, sleptSince;

    public Vring(int index, VirtQueue queue, int kickFd, GuestMemory memory, long features, EventNotifier call,
                 EventNotifier err) {
        this.index = index;
        this.queue = queue;
        this.kickFd = kickFd;
        this.memory = memory;
        this.features = features;
        this.call = call;
        this.err = err;
    }

    public int index() {
        return index;
    }

    public VirtQueue queue() {
        return queue;
    }

    /** Readable when the driver kicked; drain it (it is usually non-blocking) after poll. */
    public int kickFd() {
        return kickFd;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The features the front-end acked (SET_FEATURES), including VHOST_USER_F_PROTOCOL_FEATURES. */
    public long features() {
        return features;
    }

    /** Interrupts the driver (writes the call eventfd, if the front-end gave one). */
    public void signalUsed() {
        call.signal();
    }

    /** Reports a broken ring to the front-end (writes the error eventfd, if any). */
    public void signalError() {
        err.signal();
    }

    /** Computes a used length for one chain. */
    @FunctionalInterface
    public interface ChainProcessor {
        int process(DescriptorChain chain) throws VirtQueueException;
    }

    /**
     * Serves the available chains synchronously: pops, processes, pushes used, re-enables
     * notifications and re-checks (no lost kick), and interrupts the driver if it wants
     * one. At most a ring's worth per call (then it kicks itself to be called again).
     * Returns the number of chains served.
     */
    public int processAvailable(ChainProcessor processor) throws VirtQueueException {
        return processAvailable(processor, 0);
    }

    /**
     * As {@link #processAvailable(ChainProcessor)}, but when the ring runs dry it may first
     * watch it, with notifications still off, so a driver that adds the next chain soon
     * does not kick for it. A kick is a VM exit for the guest (under TCG a costly emulated
     * one); a transmit ring of small frames otherwise costs the guest one per frame.
     *
     * <p>The watch is adaptive, up to {@code maxLingerNanos}, as QEMU's event-loop polling
     * is: it grows while kicks come sooner than that after the ring went to sleep, and
     * halves when a watch finds nothing or the ring sleeps long, so a ring with sparse
     * traffic (a stream's acknowledgements) does not spin.
     */
    public int processAvailable(ChainProcessor processor, long maxLingerNanos) throws VirtQueueException {
        if (maxLingerNanos > 0 && sleptSince != 0) {
            long slept = System.nanoTime() - sleptSince;
            if (slept < maxLingerNanos) lingerNanos = Math.min(maxLingerNanos, Math.max(2 * lingerNanos, maxLingerNanos / 8));
            else if (slept > 4 * maxLingerNanos) lingerNanos /= 2;
        }
        int served = 0;
        int batch = queue.size();
        while (true) {
            queue.disableNotification();
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                queue.pushUsed(chain, processor.process(chain));
                if (++served >= batch) {
                    // A guest that keeps the ring full must not hold this thread (and whoever waits
                    // to stop it) forever: return after a ring's worth, and come back at once
                    // through the worker's poll, woken by a kick of our own.
                    if (queue.needsNotification()) signalUsed();
                    Fds.eventfdSignal(kickFd);
                    sleptSince = 0;
                    return served;
                }
            }
            if (maxLingerNanos > 0 && lingerNanos >= 1_000 && linger(lingerNanos)) continue;
            if (!queue.enableNotification()) break;
        }
        if (served > 0 && queue.needsNotification()) signalUsed();
        sleptSince = maxLingerNanos > 0 ? System.nanoTime() : 0;
        return served;
    }

    /** Spins up to {@code nanos} for a chain to appear; true if one did. The completions so far are signalled first. */
    private boolean linger(long nanos) throws VirtQueueException {
        if (queue.needsNotification()) signalUsed();
        long end = System.nanoTime() + nanos;
        do {
            if (queue.hasAvailable()) return true;
            Thread.onSpinWait();
        } while (System.nanoTime() < end);
        lingerNanos /= 2;
        return false;
    }

    @Override
    public String toString() {
        return "Vring[" + index + ", " + queue + "]";
    }
}

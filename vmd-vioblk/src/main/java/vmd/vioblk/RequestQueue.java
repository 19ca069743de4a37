package vmd.vioblk;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.vhostuser.Vring;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;

/**
 * One virtio-blk request queue. Small requests are served inline on the ring's thread,
 * their completions sharing one interrupt per batch; large reads and writes go to the device's I/O
 * threads, so that several copies between the page cache and guest memory run at once
 * (a 1 MiB read from the page cache is ~150 us of copying on one CPU, and one thread
 * doing them in turn is a third slower than qemu-storage-daemon's thread pool), each
 * signalled as soon as it is done.
 *
 * <p>Only the ring's thread pops chains and touches the avail side; used elements are
 * pushed, and the driver interrupted, under {@link #usedLock} from whichever thread
 * finished the request (virtio lets a device complete requests out of order).
 */
final class RequestQueue {
    private static final Logger log = LoggerFactory.getLogger(RequestQueue.class);

    /** Requests moving at least this much data go to the I/O threads. */
    static final long LARGE_BYTES = 128 << 10;

    /** What the device does with a request. */
    interface Server {
        /** Serves a parsed request; returns the used length (bytes written to the guest). */
        int execute(BlkRequest req);
    }

    private final String name;
    private final Vring vring;
    private final VirtQueue queue;
    private final Server server;
    private final ExecutorService reads, writes;
    private final ReentrantLock usedLock = new ReentrantLock();
    private final Condition idle = usedLock.newCondition();
    private int inFlight; // handed to the I/O threads and not yet used; guarded by usedLock

    /** Large reads go to {@code reads}, large writes to {@code writes}; null: inline. */
    RequestQueue(String name, Vring vring, Server server, ExecutorService reads, ExecutorService writes) {
        this.name = name;
        this.vring = vring;
        this.queue = vring.queue();
        this.server = server;
        this.reads = reads;
        this.writes = writes;
    }

    /**
     * Serves what is available, as {@link Vring#processAvailable} does (notifications
     * re-enabled and re-checked, at most a ring's worth per call), handing large requests
     * to the I/O threads. Called on the ring's thread. It is not processAvailable with a
     * processor because that pushes each used element when the processor returns, and a
     * large request completes later, on another thread.
     */
    int serve(Vring unused) throws VirtQueueException {
        int served = 0;
        int batch = queue.size();
        boolean pending = false; // small completions not yet signalled: they share one interrupt per batch
        // The newest large request is held back: if the ring is empty after it, this thread
        // serves it itself instead of waking an I/O thread and going to sleep.
        DescriptorChain heldChain = null;
        BlkRequest held = null;
        while (true) {
            queue.disableNotification();
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                BlkRequest req = BlkRequest.parse(chain);
                if (poolFor(req) != null) {
                    if (held != null) submit(poolFor(held), heldChain, held);
                    held = req;
                    heldChain = chain;
                } else {
                    push(chain, server.execute(req), false);
                    pending = true;
                }
                if (++served >= batch) {
                    // A guest that keeps the ring full must not hold this thread: come back through
                    // the worker's poll, woken by a kick of our own.
                    if (held != null) submit(poolFor(held), heldChain, held);
                    if (pending) signalIfWanted();
                    Fds.eventfdSignal(vring.kickFd());
                    return served;
                }
            }
            if (held != null) {
                if (pending) signalIfWanted();
                pending = false;
                push(heldChain, server.execute(held), true);
                held = null;
                heldChain = null;
                continue;
            }
            if (!queue.enableNotification()) break;
        }
        if (pending) signalIfWanted();
        return served;
    }

    /** The I/O threads for a large request, or null for one served inline. */
    private ExecutorService poolFor(BlkRequest req) {
        if (!large(req)) return null;
        return req.type == BlkRequest.T_IN ? reads : writes;
    }

    static boolean large(BlkRequest req) {
        return (req.type == BlkRequest.T_IN && req.writableDataLength >= LARGE_BYTES)
                || (req.type == BlkRequest.T_OUT && req.readableDataLength() >= LARGE_BYTES);
    }

    private void submit(ExecutorService io, DescriptorChain chain, BlkRequest req) {
        usedLock.lock();
        try {
            inFlight++;
        } finally {
            usedLock.unlock();
        }
        try {
            io.execute(() -> {
                try {
                    push(chain, server.execute(req), true);
                } catch (RuntimeException e) {
                    log.error("{}: device failure", name, e);
                    vring.signalError();
                } finally {
                    done();
                }
            });
        } catch (RejectedExecutionException closing) {
            done(); // the device is closing: the request stays unanswered, as on any stop
        }
    }

    private void done() {
        usedLock.lock();
        try {
            if (--inFlight == 0) idle.signalAll();
        } finally {
            usedLock.unlock();
        }
    }

    private void push(DescriptorChain chain, int len, boolean signal) {
        usedLock.lock();
        try {
            queue.pushUsed(chain, len);
            if (signal && queue.needsNotification()) vring.signalUsed();
        } finally {
            usedLock.unlock();
        }
    }

    private void signalIfWanted() {
        usedLock.lock();
        try {
            if (queue.needsNotification()) vring.signalUsed();
        } finally {
            usedLock.unlock();
        }
    }

    /** Waits until no request is with the I/O threads: afterwards nothing touches the ring. */
    void awaitIdle() {
        usedLock.lock();
        try {
            while (inFlight > 0) idle.awaitUninterruptibly();
        } finally {
            usedLock.unlock();
        }
    }
}

package vmd.vhostuser;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.PollSet;
import vmd.virtio.VirtQueueException;

/**
 * A thread serving one {@link Vring}: serves once at start (buffers published before the
 * ring started, or while a back-end was down), then on every kick. A hostile ring
 * ({@link VirtQueueException}) or a failing handler is logged and reported through the
 * ring's error eventfd; the worker then idles until stopped. Devices that process
 * requests synchronously can use it as is.
 */
public final class VringWorker {
    private static final Logger log = LoggerFactory.getLogger(VringWorker.class);
    private static final int POLLNVAL = 0x20;
    /**
     * How often an idle ring is looked at without a kick. A kick the driver decided not to
     * send (its barrier and ours both needed, and one missing) would stall the ring for
     * good: the driver only kicks again once the device has moved past the avail_event it
     * already saw. Seen under QEMU's TCG, where a guest TX ring sat full with no kick
     * pending; on KVM the guest's fences are real. A wake-up every 200 ms is the price.
     */
    public static final int RECHECK_MILLIS = 200;

    /** Serves what is available on the ring; called on the worker thread. */
    @FunctionalInterface
    public interface Handler {
        void serve(Vring vring) throws VirtQueueException;
    }

    private final Vring vring;
    private final Handler handler;
    private final RingThread thread;

    public VringWorker(String name, Vring vring, Handler handler) {
        this.vring = vring;
        this.handler = handler;
        this.thread = new RingThread(name + "-q" + vring.index(), this::run);
    }

    public VringWorker start() {
        thread.start();
        return this;
    }

    /** Stops the thread and waits for it: afterwards the ring is not touched. */
    public void stop() {
        thread.stop();
    }

    public Vring vring() {
        return vring;
    }

    /** Whether the driver has published chains this ring has not taken. */
    private boolean waiting() {
        try {
            return vring.queue().hasAvailable();
        } catch (VirtQueueException e) {
            return true; // serve: it reports the broken ring
        }
    }

    private void run() {
        PollSet set = new PollSet();
        set.set(thread.stopFd(), vring.kickFd());
        boolean broken = false;
        boolean first = true;
        boolean missedKickLogged = false;
        while (!thread.stopping()) {
            if (!first) {
                int ready;
                try {
                    ready = set.poll(RECHECK_MILLIS);
                } catch (RuntimeException e) {
                    log.warn("{}: poll failed: {}", thread.name(), e.getMessage());
                    vring.signalError();
                    return;
                }
                if (thread.stopping()) break;
                if ((set.revents(1) & (POLLNVAL | Fds.POLLERR)) != 0) {
                    log.warn("{}: kick descriptor unusable (revents 0x{})", thread.name(), Integer.toHexString(set.revents(1)));
                    vring.signalError();
                    return;
                }
                if (set.ready(1)) Fds.eventfdDrain(vring.kickFd());
                if (ready == 0) {
                    if (broken || !waiting()) continue;
                    if (!missedKickLogged) {
                        log.info("{}: chains waiting without a kick; serving them (rings are looked at every {} ms)",
                                thread.name(), RECHECK_MILLIS);
                        missedKickLogged = true;
                    }
                }
            }
            first = false;
            if (broken) continue;
            try {
                handler.serve(vring);
            } catch (VirtQueueException e) {
                log.warn("{}: broken ring: {}", thread.name(), e.getMessage());
                vring.signalError();
                broken = true;
            } catch (RuntimeException e) {
                log.error("{}: device failure", thread.name(), e);
                vring.signalError();
                broken = true;
            }
        }
    }
}

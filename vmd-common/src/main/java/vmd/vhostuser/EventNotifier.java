package vmd.vhostuser;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.NativeException;

/**
 * An eventfd the back-end writes to (a ring's call or error descriptor) that the front-end
 * may replace at any time, even while the ring runs (QEMU swaps call descriptors when the
 * guest masks an MSI-X vector). Replacing and signalling hold the same lock, so a device
 * thread never writes to a descriptor number that was just closed and reused.
 */
public final class EventNotifier {
    private static final Logger log = LoggerFactory.getLogger(EventNotifier.class);
    private int fd = -1;

    /** Installs {@code newFd} (-1: none), closing the previous one. Takes ownership. */
    public synchronized void set(int newFd) {
        if (fd >= 0 && fd != newFd) Fds.closeQuietly(fd);
        fd = newFd;
    }

    public synchronized boolean isSet() {
        return fd >= 0;
    }

    /** Adds 1 to the eventfd, if there is one. Failures are logged, never thrown. */
    public synchronized void signal() {
        if (fd < 0) return;
        try {
            Fds.eventfdSignal(fd);
        } catch (NativeException e) {
            log.debug("signalling eventfd {}: {}", fd, e.getMessage());
        }
    }

    /** Closes the descriptor. */
    public void clear() {
        set(-1);
    }
}

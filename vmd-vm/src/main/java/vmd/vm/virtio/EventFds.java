package vmd.vm.virtio;

import vmd.sys.Fds;

/** The transport's eventfds: close-on-exec and non-blocking, drained without waiting. */
final class EventFds {
    private EventFds() {}

    static int create() {
        return Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    }

    /** Reads and resets a non-blocking eventfd; 0 if it was not signalled. */
    static long drain(int fd) {
        return Fds.eventfdDrain(fd);
    }
}

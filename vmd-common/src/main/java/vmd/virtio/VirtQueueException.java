package vmd.virtio;

/**
 * The driver put something in a virtqueue that the device must not follow: a loop, an
 * index out of range, a buffer outside guest RAM, a malformed indirect table. The
 * device decides what to do (mark itself DEVICE_NEEDS_RESET, or fail the request).
 */
public class VirtQueueException extends Exception {
    private final int head;

    public VirtQueueException(String message) {
        this(message, -1);
    }

    public VirtQueueException(String message, int head) {
        super(message, null, false, false);
        this.head = head;
    }

    /** The head descriptor index of the offending chain, or -1 if the error is not about one chain. */
    public int head() {
        return head;
    }
}

package vmd.parent.config;

/** Creating an instance of a VM was refused. */
public final class InstanceException extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The caller may not create instances of this VM or change this option (EPERM). */
        PERMISSION,
        /** The instance would share something exclusive with its parent (EBUSY). */
        BUSY
    }

    private final Reason reason;

    public InstanceException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}

package vmd.vm.snapshot;

/** A snapshot could not be written, or a stream cannot be restored; the message says why in a user's terms. */
public final class SnapshotException extends RuntimeException {
    public SnapshotException(String message) {
        super(message);
    }

    public SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}

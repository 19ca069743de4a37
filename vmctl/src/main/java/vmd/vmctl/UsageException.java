package vmd.vmctl;

/** Wrong arguments: vmctl prints the command's usage and exits 1. An optional line goes first. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}

package vmd.vmctl;

/** A failure vmctl reports as one line, "vmctl: message", and exit status 1. */
public class VmctlException extends RuntimeException {
    public VmctlException(String message) {
        super(message);
    }
}

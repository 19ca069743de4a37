package vmd.vm.boot;

/**
 * The boot image, command line, initrd or RAM size cannot make a bootable guest. Raised
 * before any vCPU runs; the message is meant for the user (vmctl / the log) as it stands.
 */
public final class BootException extends RuntimeException {
    public BootException(String message) {
        super(message);
    }
}

package vmd.parent.config;

/**
 * What a non-root user may change when creating an instance of a VM
 * ({@code allow instance { ... }}). {@code CPUS} is a Linux extension (OpenBSD's
 * vmd has the VMOP_CREATE_CPU check but no keyword for it).
 */
public enum InstanceFlag {
    BOOT, MEMORY, INTERFACE, DISK, CDROM, INSTANCE, CPUS;

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

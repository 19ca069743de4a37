package vmd.virtio;

/**
 * Where a device records the guest pages it writes while the VM migrates: one bit per
 * 4 KiB page of guest-physical memory (vhost-user's VHOST_F_LOG_ALL log, and the vm
 * process's own for its in-process devices). KVM's dirty log sees only vCPU writes.
 */
public interface DirtyLog {
    DirtyLog NONE = (gpa, length) -> {};

    /** {@code length} bytes at guest-physical {@code gpa} were (or may have been) written. */
    void mark(long gpa, long length);
}

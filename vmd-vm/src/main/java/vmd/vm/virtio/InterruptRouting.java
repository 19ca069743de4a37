package vmd.vm.virtio;

/**
 * The KVM services a virtio-pci transport needs, and nothing else: GSIs with MSI routes,
 * irqfd bindings (call eventfd -> GSI, so a device process interrupts the guest without
 * passing through the vm process), ioeventfd registrations (guest notify write ->
 * kick eventfd, without a vCPU exit to user space), and one-off MSI injection (config
 * interrupts, pending vectors on unmask). {@link KvmInterruptRouting} does it with a
 * real VM; tests use a fake. One instance serves every transport of a VM.
 */
public interface InterruptRouting {
    /** A fresh GSI for an MSI route (above the IOAPIC's pins). */
    int allocateGsi();

    /** Forgets {@code gsi}'s route and lets the number be reused. */
    void releaseGsi(int gsi);

    /** Points {@code gsi} at an MSI message; irqfds bound to it follow at once. */
    void setMsiRoute(int gsi, long address, int data);

    void bindIrqfd(int eventfd, int gsi);

    void unbindIrqfd(int eventfd, int gsi);

    /** A guest write of {@code length} bytes (any value) to MMIO {@code address} signals {@code eventfd}. */
    void registerIoeventfd(int eventfd, long address, int length);

    void unregisterIoeventfd(int eventfd, long address, int length);

    /** Injects one MSI now. */
    void signalMsi(long address, int data);
}

package vmd.vm.devices;

/**
 * Where a UART's transmitted bytes go. Called on a vCPU thread for every byte the guest
 * writes to THR, so an implementation must never block: if its consumer is not keeping
 * up it drops the byte (and counts it) rather than stall the guest.
 */
@FunctionalInterface
public interface ConsoleOutput {
    void write(byte b);
}

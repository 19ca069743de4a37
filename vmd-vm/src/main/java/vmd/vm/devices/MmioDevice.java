package vmd.vm.devices;

/** A device in guest-physical address space. Sizes are 1, 2, 4 or 8 bytes. */
public interface MmioDevice {
    long read(long address, int size);

    void write(long address, int size, long value);
}

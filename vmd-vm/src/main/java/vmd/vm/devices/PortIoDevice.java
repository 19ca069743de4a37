package vmd.vm.devices;

/** A device on the x86 I/O port bus. Sizes are 1, 2 or 4 bytes; values are zero-extended. */
public interface PortIoDevice {
    int read(int port, int size);

    void write(int port, int size, int value);
}

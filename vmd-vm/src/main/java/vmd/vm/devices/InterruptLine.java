package vmd.vm.devices;

/** A level-triggered interrupt line into the PIC/IOAPIC (an ISA IRQ or a PCI INTx GSI). */
public interface InterruptLine {
    void set(boolean asserted);

    /** An edge: assert then deassert (ISA devices such as the UART). */
    default void pulse() {
        set(true);
        set(false);
    }
}

package vmd.vm.kvm;

import static vmd.sys.Native.U32;

import java.lang.foreign.MemorySegment;

/** One struct kvm_irq_routing_entry: a GSI routed to an irqchip pin or to an MSI message. */
public record GsiRoute(int gsi, int type, int chipOrAddressLo, int pinOrAddressHi, int msiData) {
    public static final int IRQCHIP_PIC_MASTER = 0, IRQCHIP_PIC_SLAVE = 1, IRQCHIP_IOAPIC = 2;
    private static final int KVM_IRQ_ROUTING_IRQCHIP = 1, KVM_IRQ_ROUTING_MSI = 2;

    public static GsiRoute irqchip(int gsi, int chip, int pin) {
        return new GsiRoute(gsi, KVM_IRQ_ROUTING_IRQCHIP, chip, pin, 0);
    }

    public static GsiRoute msi(int gsi, long address, int data) {
        return new GsiRoute(gsi, KVM_IRQ_ROUTING_MSI, (int) address, (int) (address >>> 32), data);
    }

    /**
     * The legacy routes every PC needs, as QEMU sets them: ISA IRQs 0-15 to the PICs
     * (IRQ 2 is the cascade), GSIs 0-23 to IOAPIC pins, except that the PIT's IRQ 0 goes
     * to IOAPIC pin 2, which the MADT announces with an interrupt source override.
     */
    public static java.util.List<GsiRoute> legacy() {
        java.util.List<GsiRoute> routes = new java.util.ArrayList<>();
        for (int irq = 0; irq < 16; irq++) {
            if (irq == 2) continue;
            routes.add(irqchip(irq, irq < 8 ? IRQCHIP_PIC_MASTER : IRQCHIP_PIC_SLAVE, irq & 7));
        }
        for (int gsi = 0; gsi < 24; gsi++) {
            if (gsi == 2) continue;
            routes.add(irqchip(gsi, IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi));
        }
        return routes;
    }

    void write(MemorySegment p, long offset) {
        p.set(U32, offset, gsi);
        p.set(U32, offset + 4, type);
        p.set(U32, offset + 8, 0);
        p.set(U32, offset + 16, chipOrAddressLo);
        p.set(U32, offset + 20, pinOrAddressHi);
        p.set(U32, offset + 24, msiData);
    }
}

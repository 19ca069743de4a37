package vmd.vm.pci;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.vm.devices.InterruptLine;
import vmd.vm.devices.MmioBus;
import vmd.vm.devices.MmioDevice;
import vmd.vm.devices.PortBus;
import vmd.vm.devices.PortIoDevice;
import vmd.vm.devices.PowerControl;

/**
 * PCI bus 0 behind configuration mechanism #1: CONFIG_ADDRESS at 0xcf8 (dword access
 * only), CONFIG_DATA at 0xcfc-0xcff. The host bridge sits at 00.0, devices at slots 1-31,
 * function 0 each. Port 0xcf9 byte writes are the PIIX reset control register (bit 2
 * resets), if a {@link PowerControl} is set.
 *
 * <p><b>INTx wiring.</b> Every device uses pin A, wired to IOAPIC GSI 16-19 as
 * {@link vmd.vm.boot.MemoryMap#pciIntxGsi} says — the one mapping our ACPI _PRT and MP
 * table describe, level-triggered, and apart from every ISA IRQ. (KVM's IOAPIC ignores
 * the polarity bit, so "asserted" is always line level 1.) The lines are shared between
 * devices, so the bus ORs the devices' levels per GSI. SeaBIOS assumes i440FX's PIRQ
 * routing to IRQ 10/11 when it writes INTERRUPT_LINE; firmware-booted guests use MSI-X
 * for virtio, so that difference only matters to a legacy INTx driver under SeaBIOS.
 *
 * <p><b>I/O BARs</b> are decoded inside an I/O window, 0xc000-0xffff (where SeaBIOS
 * allocates PCI I/O on i440FX), registered once on the port bus; memory BARs go on the
 * MMIO bus anywhere the guest puts them.
 */
public final class PciBus implements PortIoDevice, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(PciBus.class);

    public static final int CONFIG_ADDRESS = 0xcf8, CONFIG_DATA = 0xcfc, RESET_CONTROL = 0xcf9;
    public static final int IO_WINDOW_BASE = 0xc000, IO_WINDOW_SIZE = 0x4000;
    public static final int MAX_SLOTS = 32;

    /** One populated slot, for firmware tables. */
    public record Slot(int slot, PciDevice device, int pin, int gsi) {}

    private final MmioBus mmio;
    private final PciDevice[] slots = new PciDevice[MAX_SLOTS];
    private final Map<Integer, SharedLine> lines = new TreeMap<>();
    private final IntFunction<InterruptLine> gsiLines;
    private final IoWindow ioWindow = new IoWindow();
    private int configAddress;
    private volatile PowerControl resetControl;

    /**
     * @param gsiLines the level-triggered line for a GSI, e.g. {@code gsi -> level -> vm.irqLine(gsi, level)}
     */
    public PciBus(MmioBus mmio, PortBus ports, IntFunction<InterruptLine> gsiLines) {
        this.mmio = mmio;
        this.gsiLines = gsiLines;
        ports.register(CONFIG_ADDRESS, 8, this);
        ports.register(IO_WINDOW_BASE, IO_WINDOW_SIZE, ioWindow);
        add(0, new PciHostBridge());
    }

    /** The GSI pin A of {@code slot} raises. */
    public static int intxGsi(int slot) {
        return vmd.vm.boot.MemoryMap.pciIntxGsi(slot, 0);
    }

    /** Port 0xcf9 bit 2 (system reset) calls {@code control.reset}. */
    public void setResetControl(PowerControl control) {
        this.resetControl = control;
    }

    /** Puts {@code device} in the first free slot and returns the slot. */
    public synchronized int add(PciDevice device) {
        for (int s = 1; s < MAX_SLOTS; s++) {
            if (slots[s] == null) {
                add(s, device);
                return s;
            }
        }
        throw new IllegalStateException("PCI bus 0 is full");
    }

    public synchronized void add(int slot, PciDevice device) {
        if (slot < 0 || slot >= MAX_SLOTS || slots[slot] != null) throw new IllegalArgumentException("slot " + slot + " taken");
        InterruptLine line = null;
        if (slot > 0) {
            int gsi = intxGsi(slot);
            SharedLine shared = lines.computeIfAbsent(gsi, g -> new SharedLine(gsiLines.apply(g)));
            line = shared.input();
        }
        device.attach(this, slot, line);
        slots[slot] = device;
    }

    public synchronized PciDevice device(int slot) {
        return slot >= 0 && slot < MAX_SLOTS ? slots[slot] : null;
    }

    /** The populated slots (host bridge excluded), for MP/ACPI tables: all on pin A. */
    public synchronized List<Slot> slots() {
        List<Slot> out = new ArrayList<>();
        for (int s = 1; s < MAX_SLOTS; s++) if (slots[s] != null) out.add(new Slot(s, slots[s], 1, intxGsi(s)));
        return Collections.unmodifiableList(out);
    }

    // ---- configuration mechanism #1 ----

    @Override
    public int read(int port, int size) {
        if (port == CONFIG_ADDRESS && size == 4) {
            synchronized (this) {
                return configAddress;
            }
        }
        if (port >= CONFIG_DATA) {
            PciDevice d;
            int offset;
            synchronized (this) {
                d = target();
                offset = (configAddress & 0xfc) + (port - CONFIG_DATA);
            }
            if (d != null && (port - CONFIG_DATA) + size <= 4) return d.readConfig(offset, size);
        }
        return (int) ((1L << (8 * size)) - 1);
    }

    @Override
    public void write(int port, int size, int value) {
        if (port == CONFIG_ADDRESS && size == 4) {
            synchronized (this) {
                configAddress = value & 0x80ff_fffc;
            }
            return;
        }
        if (port == RESET_CONTROL && size == 1) {
            PowerControl rc = resetControl;
            if ((value & 0x04) != 0 && rc != null) rc.reset("PCI reset control register (0xcf9)");
            return;
        }
        if (port >= CONFIG_DATA) {
            PciDevice d;
            int offset;
            synchronized (this) {
                d = target();
                offset = (configAddress & 0xfc) + (port - CONFIG_DATA);
            }
            if (d != null && (port - CONFIG_DATA) + size <= 4) d.writeConfig(offset, size, value);
        }
    }

    /** The function CONFIG_ADDRESS selects, if enabled, on bus 0, function 0 and populated. */
    private PciDevice target() {
        if ((configAddress & 0x8000_0000) == 0) return null;
        int bus = (configAddress >>> 16) & 0xff;
        int slot = (configAddress >>> 11) & 0x1f;
        int function = (configAddress >>> 8) & 0x7;
        if (bus != 0 || function != 0) return null;
        return slots[slot];
    }

    // ---- direct-boot resource assignment ----

    /**
     * Assigns every unassigned BAR the way firmware would (largest first, naturally
     * aligned): memory BARs from [mmioBase, mmioBase + mmioSize), I/O BARs from the I/O
     * window; then enables decoding and bus mastering. For direct kernel boot, where no
     * firmware does it.
     */
    public synchronized void assignResources(long mmioBase, long mmioSize) {
        record Want(PciDevice device, int bar, long size, boolean io) {}
        List<Want> wants = new ArrayList<>();
        for (int s = 1; s < MAX_SLOTS; s++) {
            PciDevice d = slots[s];
            if (d == null) continue;
            for (int i = 0; i < 6; i++) {
                if (d.barKind(i) != null && d.barAddress(i) == 0) {
                    wants.add(new Want(d, i, d.barSize(i), d.barKind(i) == PciDevice.BarKind.IO));
                }
            }
        }
        wants.sort((a, b) -> Long.compare(b.size(), a.size()));
        long mem = mmioBase, io = IO_WINDOW_BASE;
        for (Want w : wants) {
            if (w.io()) {
                long at = (io + w.size() - 1) & -w.size();
                if (at + w.size() > IO_WINDOW_BASE + IO_WINDOW_SIZE) throw new IllegalStateException("PCI I/O window full");
                w.device().programBar(w.bar(), at);
                io = at + w.size();
            } else {
                long at = (mem + w.size() - 1) & -w.size();
                if (at + w.size() > mmioBase + mmioSize) throw new IllegalStateException("PCI MMIO window full");
                w.device().programBar(w.bar(), at);
                mem = at + w.size();
            }
        }
        for (int s = 1; s < MAX_SLOTS; s++) {
            PciDevice d = slots[s];
            if (d == null) continue;
            int cmd = d.readConfig(PciDevice.COMMAND, 2);
            d.writeConfig(PciDevice.COMMAND, 2, cmd | PciDevice.COMMAND_IO | PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
        }
    }

    // ---- BAR mapping, for PciDevice ----

    boolean mapMmio(long base, long length, MmioDevice device) {
        try {
            mmio.register(base, length, device);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    boolean mapIo(int base, int length, PortIoDevice device) {
        return ioWindow.register(base, length, device);
    }

    void unmap(boolean io, long base) {
        if (io) ioWindow.unregister((int) base);
        else mmio.unregister(base);
    }

    /** I/O BARs live here: a port range of our own, so BARs can move (the port bus is static). */
    private static final class IoWindow implements PortIoDevice {
        private record Range(int base, int length, PortIoDevice device) {}

        private volatile TreeMap<Integer, Range> ranges = new TreeMap<>();

        synchronized boolean register(int base, int length, PortIoDevice device) {
            if (base < IO_WINDOW_BASE || base + length > IO_WINDOW_BASE + IO_WINDOW_SIZE) {
                log.warn("I/O BAR 0x{}+{} is outside the PCI I/O window", Integer.toHexString(base), length);
                return false;
            }
            Map.Entry<Integer, Range> below = ranges.floorEntry(base + length - 1);
            if (below != null && below.getValue().base() + below.getValue().length() > base) return false;
            TreeMap<Integer, Range> next = new TreeMap<>(ranges);
            next.put(base, new Range(base, length, device));
            ranges = next;
            return true;
        }

        synchronized void unregister(int base) {
            TreeMap<Integer, Range> next = new TreeMap<>(ranges);
            next.remove(base);
            ranges = next;
        }

        private Range find(int port) {
            Map.Entry<Integer, Range> e = ranges.floorEntry(port);
            if (e == null) return null;
            return port < e.getValue().base() + e.getValue().length() ? e.getValue() : null;
        }

        @Override
        public int read(int port, int size) {
            Range r = find(port);
            return r == null ? (int) ((1L << (8 * size)) - 1) : r.device().read(port, size);
        }

        @Override
        public void write(int port, int size, int value) {
            Range r = find(port);
            if (r != null) r.device().write(port, size, value);
        }
    }

    /** A level-triggered GSI shared by several functions: high while any of them asserts. */
    private static final class SharedLine {
        private final InterruptLine out;
        private int asserted;
        private boolean level;

        SharedLine(InterruptLine out) {
            this.out = out;
        }

        InterruptLine input() {
            return new InterruptLine() {
                private boolean mine;

                @Override
                public void set(boolean high) {
                    synchronized (SharedLine.this) {
                        if (high == mine) return;
                        mine = high;
                        asserted += high ? 1 : -1;
                        boolean now = asserted > 0;
                        if (now != level) {
                            level = now;
                            out.set(now);
                        }
                    }
                }
            };
        }
    }

    // ---- snapshot: the CONFIG_ADDRESS latch; each device saves its own config space ----

    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        out.u32(configAddress);
    }

    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        configAddress = in.u32() & 0x80ff_fffc;
    }
}

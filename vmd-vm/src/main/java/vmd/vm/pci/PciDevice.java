package vmd.vm.pci;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.vm.devices.InterruptLine;
import vmd.vm.devices.MmioDevice;
import vmd.vm.devices.PortIoDevice;

/**
 * A conventional PCI function (type 0 header) with a 256-byte configuration space.
 *
 * <p>Every config byte has a write mask: the guest changes only the bits a subclass made
 * writable. BARs are sized the PCI way (write all ones, read the size mask back), which
 * falls out of the write masks. When the guest moves a BAR, or turns memory / I/O
 * decoding on or off in COMMAND, the BAR's range moves on the MMIO bus or in the bus's
 * I/O window: the old range is unregistered, the new one registered, and
 * {@link #barMoved} tells the subclass (which re-registers its ioeventfds there).
 * Zero (unassigned) BARs are never mapped.
 *
 * <p>All config and BAR accesses of one device run under the device's monitor; a
 * subclass's {@code barRead}, {@code barWrite} and hooks are called holding it.
 */
public abstract class PciDevice {
    private static final Logger log = LoggerFactory.getLogger(PciDevice.class);

    public static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION_ID = 0x08;
    public static final int CLASS_PROG = 0x09, CLASS_DEVICE = 0x0a, CACHE_LINE_SIZE = 0x0c, LATENCY_TIMER = 0x0d;
    public static final int HEADER_TYPE = 0x0e, BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2c, SUBSYSTEM_ID = 0x2e;
    public static final int ROM_ADDRESS = 0x30, CAPABILITY_LIST = 0x34, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d;

    public static final int COMMAND_IO = 0x1, COMMAND_MEMORY = 0x2, COMMAND_MASTER = 0x4, COMMAND_PARITY = 0x40;
    public static final int COMMAND_SERR = 0x100, COMMAND_INTX_DISABLE = 0x400;
    public static final int STATUS_INTERRUPT = 0x08, STATUS_CAP_LIST = 0x10;

    public static final int CAP_ID_MSIX = 0x11, CAP_ID_VENDOR = 0x09;

    public static final int CONFIG_SIZE = 256;

    /** What a BAR decodes. */
    public enum BarKind { IO, MEMORY32, MEMORY64 }

    private static final class Bar {
        final BarKind kind;
        final long size;
        final boolean prefetchable;
        long mappedAt = -1;

        Bar(BarKind kind, long size, boolean prefetchable) {
            this.kind = kind;
            this.size = size;
            this.prefetchable = prefetchable;
        }
    }

    protected final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] writeMask = new byte[CONFIG_SIZE];
    private final Bar[] bars = new Bar[6];
    private int lastCapability;
    private int nextCapabilityOffset = 0x40;
    private MsixCapability msix;

    private PciBus bus;
    private int slot = -1;
    private InterruptLine intx;
    private boolean intxLevel;

    /**
     * @param classCode base class, subclass and programming interface: 0xBBSSPP
     */
    protected PciDevice(int vendor, int device, int classCode, int revision, int subsystemVendor, int subsystem) {
        put16(VENDOR_ID, vendor);
        put16(DEVICE_ID, device);
        config[REVISION_ID] = (byte) revision;
        config[CLASS_PROG] = (byte) classCode;
        put16(CLASS_DEVICE, classCode >>> 8);
        put16(SUBSYSTEM_VENDOR_ID, subsystemVendor);
        put16(SUBSYSTEM_ID, subsystem);
        setWritable(COMMAND, 2, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | COMMAND_PARITY | COMMAND_SERR
                | COMMAND_INTX_DISABLE);
        setWritable(CACHE_LINE_SIZE, 1, 0xff);
        setWritable(LATENCY_TIMER, 1, 0xff);
        setWritable(INTERRUPT_LINE, 1, 0xff);
    }

    // ---- layout, for subclasses' constructors ----

    protected final void put8(int offset, int v) {
        config[offset] = (byte) v;
    }

    protected final void put16(int offset, int v) {
        config[offset] = (byte) v;
        config[offset + 1] = (byte) (v >>> 8);
    }

    protected final void put32(int offset, int v) {
        put16(offset, v);
        put16(offset + 2, v >>> 16);
    }

    protected final int get8(int offset) {
        return config[offset] & 0xff;
    }

    protected final int get16(int offset) {
        return get8(offset) | get8(offset + 1) << 8;
    }

    protected final int get32(int offset) {
        return get16(offset) | get16(offset + 2) << 16;
    }

    /** Makes the bits of {@code mask} (little-endian over {@code length} bytes) guest-writable. */
    protected final void setWritable(int offset, int length, long mask) {
        for (int i = 0; i < length; i++) writeMask[offset + i] = (byte) (mask >>> (8 * i));
    }

    /** Announces INTx pin A (the only pin this bus wires). */
    protected final void useInterruptPinA() {
        config[INTERRUPT_PIN] = 1;
    }

    /**
     * Declares BAR {@code index}: a power-of-two size, at least 16 bytes for memory and
     * 4 for I/O. A 64-bit BAR also takes index + 1.
     */
    protected final void defineBar(int index, BarKind kind, long size, boolean prefetchable) {
        if (Long.bitCount(size) != 1 || size < (kind == BarKind.IO ? 4 : 16) || (kind == BarKind.IO && size > 0x1000)) {
            throw new IllegalArgumentException("bad BAR size " + size);
        }
        if (index < 0 || index > 5 || (kind == BarKind.MEMORY64 && index > 4) || bars[index] != null) {
            throw new IllegalArgumentException("bad BAR index " + index);
        }
        bars[index] = new Bar(kind, size, prefetchable);
        int reg = BAR0 + 4 * index;
        switch (kind) {
            case IO:
                put32(reg, 0x1);
                setWritable(reg, 4, ~(size - 1) & 0xffff_fffcL);
                break;
            case MEMORY32:
                if (size > 0x8000_0000L) throw new IllegalArgumentException("32-bit BAR too large");
                put32(reg, prefetchable ? 0x8 : 0);
                setWritable(reg, 4, ~(size - 1) & 0xffff_fff0L);
                break;
            case MEMORY64:
                put32(reg, 0x4 | (prefetchable ? 0x8 : 0));
                setWritable(reg, 4, ~(size - 1) & 0xffff_fff0L);
                setWritable(reg + 4, 4, (~(size - 1)) >>> 32);
                bars[index + 1] = null;
                break;
        }
    }

    /** Appends a capability of {@code length} bytes (id and next included) to the list; returns its offset. */
    protected final int addCapability(int id, int length) {
        int offset = nextCapabilityOffset;
        if (length < 2 || offset + length > CONFIG_SIZE) throw new IllegalArgumentException("no room for capability");
        config[offset] = (byte) id;
        config[offset + 1] = 0;
        if (lastCapability == 0) {
            config[CAPABILITY_LIST] = (byte) offset;
            put16(STATUS, get16(STATUS) | STATUS_CAP_LIST);
        } else {
            config[lastCapability + 1] = (byte) offset;
        }
        lastCapability = offset;
        nextCapabilityOffset = (offset + length + 3) & ~3;
        return offset;
    }

    /**
     * Adds an MSI-X capability with {@code vectors} entries, its table at
     * {@code tableOffset} in BAR {@code tableBar} and its PBA at {@code pbaOffset} in
     * BAR {@code pbaBar}. The subclass routes accesses to those ranges to the returned
     * object's table/PBA methods.
     */
    protected final MsixCapability addMsix(int vectors, int tableBar, long tableOffset, int pbaBar, long pbaOffset) {
        if (msix != null) throw new IllegalStateException("one MSI-X capability per function");
        int cap = addCapability(CAP_ID_MSIX, 12);
        msix = new MsixCapability(this, cap, vectors, tableBar, tableOffset, pbaBar, pbaOffset);
        return msix;
    }

    public final MsixCapability msix() {
        return msix;
    }

    // ---- bus side ----

    final synchronized void attach(PciBus bus, int slot, InterruptLine intx) {
        if (this.bus != null) throw new IllegalStateException("device already on a bus");
        this.bus = bus;
        this.slot = slot;
        this.intx = intx;
        if (config[INTERRUPT_PIN] != 0) config[INTERRUPT_LINE] = (byte) PciBus.intxGsi(slot);
    }

    public final int slot() {
        return slot;
    }

    public final int vendorId() {
        return get16(VENDOR_ID);
    }

    public final int deviceId() {
        return get16(DEVICE_ID);
    }

    /** A config read of 1, 2 or 4 bytes that does not cross a dword. */
    public final synchronized int readConfig(int offset, int size) {
        if (!validAccess(offset, size)) return (int) ((1L << (8 * size)) - 1);
        return readConfigRegister(offset, size);
    }

    /** A config write of 1, 2 or 4 bytes that does not cross a dword. */
    public final synchronized void writeConfig(int offset, int size, int value) {
        if (!validAccess(offset, size)) return;
        int oldCommand = get16(COMMAND);
        int oldMsixControl = msix != null ? msix.control() : 0;
        writeConfigRegister(offset, size, value);
        if (overlaps(offset, size, COMMAND, 2) || overlaps(offset, size, BAR0, 24)) {
            if (((oldCommand ^ get16(COMMAND)) & COMMAND_INTX_DISABLE) != 0) driveIntx();
            updateBars();
        }
        if (msix != null && overlaps(offset, size, msix.capabilityOffset() + 2, 2)) {
            msix.controlWritten(oldMsixControl);
        }
        configWritten(offset, size);
    }

    private static boolean validAccess(int offset, int size) {
        return (size == 1 || size == 2 || size == 4) && offset >= 0 && offset + size <= CONFIG_SIZE
                && (offset & 3) + size <= 4;
    }

    private static boolean overlaps(int offset, int size, int start, int length) {
        return offset < start + length && start < offset + size;
    }

    /** Reads config bytes; a subclass overrides it for registers with side effects. */
    protected int readConfigRegister(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) v |= (config[offset + i] & 0xff) << (8 * i);
        return v;
    }

    /** Applies a guest write through the write masks; a subclass may override and call super. */
    protected void writeConfigRegister(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            int m = writeMask[o] & 0xff;
            config[o] = (byte) ((config[o] & ~m) | ((value >>> (8 * i)) & m));
        }
    }

    /** Called after every config write (under the device lock). */
    protected void configWritten(int offset, int size) {}

    // ---- BARs ----

    /** The address BAR {@code index} holds now (whether or not it decodes), or -1 if undefined. */
    public final synchronized long barAddress(int index) {
        Bar b = bars[index];
        if (b == null) return -1;
        int reg = BAR0 + 4 * index;
        long lo = get32(reg) & 0xffff_ffffL;
        switch (b.kind) {
            case IO: return lo & ~0x3L;
            case MEMORY32: return lo & ~0xfL;
            default: return (lo & ~0xfL) | ((get32(reg + 4) & 0xffff_ffffL) << 32);
        }
    }

    public final long barSize(int index) {
        return bars[index] == null ? 0 : bars[index].size;
    }

    public final BarKind barKind(int index) {
        return bars[index] == null ? null : bars[index].kind;
    }

    /** Where BAR {@code index} is mapped now, or -1. */
    public final synchronized long barMappedAt(int index) {
        return bars[index] == null ? -1 : bars[index].mappedAt;
    }

    /** Programs BAR {@code index} (firmware-style assignment by the VMM for direct boot). */
    final synchronized void programBar(int index, long address) {
        int reg = BAR0 + 4 * index;
        writeConfig(reg, 4, (int) address);
        if (bars[index].kind == BarKind.MEMORY64) writeConfig(reg + 4, 4, (int) (address >>> 32));
    }

    private void updateBars() {
        int command = get16(COMMAND);
        for (int i = 0; i < 6; i++) {
            Bar b = bars[i];
            if (b == null) continue;
            boolean decode = (command & (b.kind == BarKind.IO ? COMMAND_IO : COMMAND_MEMORY)) != 0;
            long address = barAddress(i);
            long want = decode && address != 0 && fits(b, address) ? address : -1;
            if (want == b.mappedAt) continue;
            long old = b.mappedAt;
            if (old != -1) {
                if (bus != null) bus.unmap(b.kind == BarKind.IO, old);
                b.mappedAt = -1;
            }
            if (want != -1 && bus != null) {
                final int index = i;
                final long base = want;
                boolean ok = b.kind == BarKind.IO
                        ? bus.mapIo((int) base, (int) b.size, new PortIoDevice() {
                            @Override
                            public int read(int port, int size) {
                                synchronized (PciDevice.this) {
                                    return (int) barRead(index, port - base, size);
                                }
                            }

                            @Override
                            public void write(int port, int size, int value) {
                                synchronized (PciDevice.this) {
                                    barWrite(index, port - base, size, value & 0xffff_ffffL);
                                }
                            }
                        })
                        : bus.mapMmio(base, b.size, new MmioDevice() {
                            @Override
                            public long read(long address, int size) {
                                synchronized (PciDevice.this) {
                                    return barRead(index, address - base, size);
                                }
                            }

                            @Override
                            public void write(long address, int size, long value) {
                                synchronized (PciDevice.this) {
                                    barWrite(index, address - base, size, value);
                                }
                            }
                        });
                if (ok) b.mappedAt = want;
                else log.warn("{}: BAR {} at 0x{} (0x{} bytes) overlaps another range; not decoded",
                        this, i, Long.toHexString(want), Long.toHexString(b.size));
            }
            if (old != b.mappedAt) barMoved(i, old, b.mappedAt);
        }
    }

    private static boolean fits(Bar b, long address) {
        if (address % b.size != 0) return false;
        if (b.kind == BarKind.IO) return address + b.size <= 0x10000;
        return address > 0 && address + b.size > address; // no wrap past 2^64
    }

    /** A BAR moved from {@code oldAddress} to {@code newAddress}; -1 means unmapped. */
    protected void barMoved(int index, long oldAddress, long newAddress) {}

    /** A guest read of {@code size} bytes at {@code offset} into BAR {@code index}. */
    protected long barRead(int index, long offset, int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }

    /** A guest write of {@code size} bytes at {@code offset} into BAR {@code index}. */
    protected void barWrite(int index, long offset, int size, long value) {}

    // ---- INTx ----

    /** Drives the function's INTx line (pin A); honours COMMAND.INTX_DISABLE and reflects STATUS.INTERRUPT. */
    protected final synchronized void setIntx(boolean level) {
        intxLevel = level;
        driveIntx();
    }

    private void driveIntx() {
        int status = get16(STATUS);
        put16(STATUS, intxLevel ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
        boolean effective = intxLevel && (get16(COMMAND) & COMMAND_INTX_DISABLE) == 0;
        if (intx != null) intx.set(effective);
    }

    // ---- snapshot ----

    /** Config space, the INTx level and MSI-X; a subclass adds its own state after this. */
    protected final synchronized void savePciState(vmd.vm.snapshot.StateWriter out) {
        out.bytes(config).bool(intxLevel);
        if (msix != null) msix.saveState(out);
    }

    /**
     * Takes a saved config space through the write masks (a stream can set only what the
     * guest could have written), maps the BARs where they were, and restores MSI-X and INTx.
     */
    protected final synchronized void restorePciState(vmd.vm.snapshot.StateReader in) {
        byte[] saved = in.bytes(CONFIG_SIZE);
        for (int o = 0; o < CONFIG_SIZE; o++) {
            int m = writeMask[o] & 0xff;
            config[o] = (byte) ((config[o] & ~m) | (saved[o] & m));
        }
        boolean level = in.bool();
        if (msix != null) msix.restoreState(in);
        updateBars();
        intxLevel = level;
        driveIntx();
    }

    @Override
    public String toString() {
        java.util.HexFormat hex = java.util.HexFormat.of();
        return getClass().getSimpleName() + "[" + hex.toHexDigits((byte) Math.max(slot, 0)) + ".0 " + hex.toHexDigits((short) vendorId())
                + ":" + hex.toHexDigits((short) deviceId()) + "]";
    }
}

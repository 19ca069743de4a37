package vmd.vm.pci;

/**
 * MSI-X (PCI 3.0 section 6.8.2): the capability in config space, the vector table and
 * the pending bit array in a BAR, masking (function mask and per-vector mask) and
 * pending bits.
 *
 * <p>The owner routes its table and PBA BAR ranges to {@link #tableRead},
 * {@link #tableWrite} and {@link #pbaRead}. A {@link Listener} hears every change of a
 * vector's address, data or mask, and of the enable / function-mask bits, so the owner
 * can move KVM GSI routes (irqfd) to follow. Interrupts raised with {@link #fire} while
 * masked set the pending bit and are delivered through the {@link Sink} on unmask.
 * Runs under the owning device's monitor.
 */
public final class MsixCapability {
    public static final int CONTROL_ENABLE = 0x8000, CONTROL_FUNCTION_MASK = 0x4000;
    public static final int ENTRY_SIZE = 16;
    public static final int VECTOR_CONTROL_MASK = 1;
    /** The "no vector" value virtio (and others) use for an unmapped source. */
    public static final int NO_VECTOR = 0xffff;

    /** Hears MSI-X changes; {@code vector} is -1 for enable / function-mask changes. */
    public interface Listener {
        void msixChanged(int vector);
    }

    /** Delivers one message (KVM_SIGNAL_MSI in production). */
    public interface Sink {
        void signal(long address, int data);
    }

    private final PciDevice device;
    private final int cap;
    private final int vectors;
    private final int tableBar, pbaBar;
    private final long tableOffset, pbaOffset;
    private final long[] address;
    private final int[] data;
    private final int[] vectorControl;
    private final long[] pending;
    private Listener listener = v -> {};
    private Sink sink = (a, d) -> {};

    MsixCapability(PciDevice device, int cap, int vectors, int tableBar, long tableOffset, int pbaBar, long pbaOffset) {
        if (vectors < 1 || vectors > 2048) throw new IllegalArgumentException("MSI-X vectors " + vectors);
        if ((tableOffset & 7) != 0 || (pbaOffset & 7) != 0) throw new IllegalArgumentException("MSI-X offsets must be 8-aligned");
        this.device = device;
        this.cap = cap;
        this.vectors = vectors;
        this.tableBar = tableBar;
        this.tableOffset = tableOffset;
        this.pbaBar = pbaBar;
        this.pbaOffset = pbaOffset;
        this.address = new long[vectors];
        this.data = new int[vectors];
        this.vectorControl = new int[vectors];
        this.pending = new long[(vectors + 63) / 64];
        java.util.Arrays.fill(vectorControl, VECTOR_CONTROL_MASK);
        device.put16(cap + 2, vectors - 1);
        device.put32(cap + 4, (int) tableOffset | tableBar);
        device.put32(cap + 8, (int) pbaOffset | pbaBar);
        device.setWritable(cap + 2, 2, CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
    }

    public void setListener(Listener listener) {
        this.listener = listener;
    }

    public void setSink(Sink sink) {
        this.sink = sink;
    }

    public int capabilityOffset() {
        return cap;
    }

    public int vectors() {
        return vectors;
    }

    public int tableBar() {
        return tableBar;
    }

    public long tableOffset() {
        return tableOffset;
    }

    public long tableSize() {
        return (long) vectors * ENTRY_SIZE;
    }

    public int pbaBar() {
        return pbaBar;
    }

    public long pbaOffset() {
        return pbaOffset;
    }

    public long pbaSize() {
        return pending.length * 8L;
    }

    int control() {
        return device.get16(cap + 2);
    }

    public boolean enabled() {
        return (control() & CONTROL_ENABLE) != 0;
    }

    public boolean functionMasked() {
        return (control() & CONTROL_FUNCTION_MASK) != 0;
    }

    /** Masked by its own mask bit or by the function mask. */
    public boolean masked(int vector) {
        return functionMasked() || (vectorControl[vector] & VECTOR_CONTROL_MASK) != 0;
    }

    public long address(int vector) {
        return address[vector];
    }

    public int data(int vector) {
        return data[vector];
    }

    public boolean pending(int vector) {
        return (pending[vector >>> 6] & (1L << vector)) != 0;
    }

    /**
     * Whether a message on {@code vector} would be delivered now: MSI-X on, the vector
     * in range and unmasked, and an address programmed.
     */
    public boolean deliverable(int vector) {
        return enabled() && vector >= 0 && vector < vectors && !masked(vector) && address[vector] != 0;
    }

    /** Raises {@code vector}: delivered if deliverable, else latched as pending (if MSI-X is on). */
    public void fire(int vector) {
        if (vector < 0 || vector >= vectors) return;
        if (deliverable(vector)) {
            sink.signal(address[vector], data[vector]);
        } else {
            pending[vector >>> 6] |= 1L << vector;
        }
    }

    /** Marks {@code vector} pending without delivering (a masked source fired). */
    public void setPending(int vector) {
        if (vector >= 0 && vector < vectors) pending[vector >>> 6] |= 1L << vector;
    }

    private void deliverPending(int vector) {
        if (pending(vector) && deliverable(vector)) {
            pending[vector >>> 6] &= ~(1L << vector);
            sink.signal(address[vector], data[vector]);
        }
    }

    void controlWritten(int oldControl) {
        if (oldControl == control()) return;
        listener.msixChanged(-1);
        for (int v = 0; v < vectors; v++) deliverPending(v);
    }

    // ---- table and PBA (offsets relative to their start) ----

    public long tableRead(long offset, int size) {
        if (offset < 0 || offset + size > tableSize() || (size != 4 && size != 8) || (offset & (size - 1)) != 0) {
            return size == 8 ? -1L : 0xffff_ffffL;
        }
        if (size == 8) return (tableDword(offset) & 0xffff_ffffL) | (tableDword(offset + 4) & 0xffff_ffffL) << 32;
        return tableDword(offset) & 0xffff_ffffL;
    }

    private int tableDword(long offset) {
        int v = (int) (offset / ENTRY_SIZE);
        switch ((int) (offset % ENTRY_SIZE)) {
            case 0: return (int) address[v];
            case 4: return (int) (address[v] >>> 32);
            case 8: return data[v];
            default: return vectorControl[v];
        }
    }

    public void tableWrite(long offset, int size, long value) {
        if (offset < 0 || offset + size > tableSize() || (size != 4 && size != 8) || (offset & (size - 1)) != 0) return;
        if (size == 8) {
            tableDwordWrite(offset, (int) value);
            tableDwordWrite(offset + 4, (int) (value >>> 32));
        } else {
            tableDwordWrite(offset, (int) value);
        }
        int v = (int) (offset / ENTRY_SIZE);
        listener.msixChanged(v);
        deliverPending(v);
    }

    private void tableDwordWrite(long offset, int value) {
        int v = (int) (offset / ENTRY_SIZE);
        switch ((int) (offset % ENTRY_SIZE)) {
            case 0: address[v] = (address[v] & 0xffff_ffff_0000_0000L) | (value & 0xffff_fffcL); break;
            case 4: address[v] = (address[v] & 0xffff_ffffL) | ((long) value << 32); break;
            case 8: data[v] = value; break;
            default: vectorControl[v] = value & VECTOR_CONTROL_MASK; break;
        }
    }

    public long pbaRead(long offset, int size) {
        if (offset < 0 || offset + size > pbaSize() || (size != 4 && size != 8) || (offset & (size - 1)) != 0) return 0;
        long word = pending[(int) (offset / 8)];
        if (size == 8) return word;
        return (offset & 4) == 0 ? word & 0xffff_ffffL : word >>> 32;
    }

    /** Back to power-on state (all vectors masked, nothing pending); the capability's control bits are the device's. */
    public void reset() {
        java.util.Arrays.fill(address, 0);
        java.util.Arrays.fill(data, 0);
        java.util.Arrays.fill(vectorControl, VECTOR_CONTROL_MASK);
        java.util.Arrays.fill(pending, 0);
    }

    // ---- snapshot (the control word is in config space, which PciDevice saves) ----

    void saveState(vmd.vm.snapshot.StateWriter out) {
        out.longs(address).ints(data).ints(vectorControl).longs(pending);
    }

    void restoreState(vmd.vm.snapshot.StateReader in) {
        System.arraycopy(in.longs(vectors), 0, address, 0, vectors);
        System.arraycopy(in.ints(vectors), 0, data, 0, vectors);
        int[] control = in.ints(vectors);
        for (int v = 0; v < vectors; v++) vectorControl[v] = control[v] & VECTOR_CONTROL_MASK;
        System.arraycopy(in.longs(pending.length), 0, pending, 0, pending.length);
    }
}

package vmd.vm.kvm;

import jnr.ffi.Pointer;

/** struct kvm_segment: a segment register's hidden state. */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl,
                      boolean db, boolean s, boolean l, boolean g, boolean unusable) {
    static final int SIZE = 24;

    /** A flat 64-bit code segment (type execute/read, accessed). */
    public static Segment code64(int selector) {
        return new Segment(0, 0xFFFFFFFF, selector, 0xB, true, 0, false, true, true, true, false);
    }

    /** A flat data segment (type read/write, accessed). */
    public static Segment data(int selector) {
        return new Segment(0, 0xFFFFFFFF, selector, 0x3, true, 0, true, true, false, true, false);
    }

    /** A 64-bit busy TSS, which VMX insists on even if the guest never uses it. */
    public static Segment tss(int selector, long base, int limit) {
        return new Segment(base, limit, selector, 0xB, true, 0, false, false, false, false, false);
    }

    static Segment read(Pointer p, long o) {
        return new Segment(p.getLong(o), p.getInt(o + 8), p.getShort(o + 12) & 0xffff, p.getByte(o + 14),
                p.getByte(o + 15) != 0, p.getByte(o + 16), p.getByte(o + 17) != 0, p.getByte(o + 18) != 0,
                p.getByte(o + 19) != 0, p.getByte(o + 20) != 0, p.getByte(o + 22) != 0);
    }

    void write(Pointer p, long o) {
        p.putLong(o, base);
        p.putInt(o + 8, limit);
        p.putShort(o + 12, (short) selector);
        p.putByte(o + 14, (byte) type);
        p.putByte(o + 15, (byte) (present ? 1 : 0));
        p.putByte(o + 16, (byte) dpl);
        p.putByte(o + 17, (byte) (db ? 1 : 0));
        p.putByte(o + 18, (byte) (s ? 1 : 0));
        p.putByte(o + 19, (byte) (l ? 1 : 0));
        p.putByte(o + 20, (byte) (g ? 1 : 0));
        p.putByte(o + 21, (byte) 0);
        p.putByte(o + 22, (byte) (unusable ? 1 : 0));
    }
}

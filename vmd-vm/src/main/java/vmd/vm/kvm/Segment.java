package vmd.vm.kvm;

import jnr.ffi.Pointer;

/** struct kvm_segment: a segment register's hidden state. */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl,
                      boolean db, boolean s, boolean l, boolean g, boolean unusable) {
    static final int SIZE = 24;

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

package vmd.vm.kvm;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U32;
import static vmd.sys.Native.U64;
import static vmd.sys.Native.U8;

import java.lang.foreign.MemorySegment;

/** struct kvm_segment: a segment register's hidden state. */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl,
                      boolean db, boolean s, boolean l, boolean g, boolean unusable) {
    static final int SIZE = 24;

    static Segment read(MemorySegment p, long o) {
        return new Segment(p.get(U64, o), p.get(U32, o + 8), p.get(U16, o + 12) & 0xffff, p.get(U8, o + 14),
                p.get(U8, o + 15) != 0, p.get(U8, o + 16), p.get(U8, o + 17) != 0, p.get(U8, o + 18) != 0,
                p.get(U8, o + 19) != 0, p.get(U8, o + 20) != 0, p.get(U8, o + 22) != 0);
    }

    void write(MemorySegment p, long o) {
        p.set(U64, o, base);
        p.set(U32, o + 8, limit);
        p.set(U16, o + 12, (short) selector);
        p.set(U8, o + 14, (byte) type);
        p.set(U8, o + 15, (byte) (present ? 1 : 0));
        p.set(U8, o + 16, (byte) dpl);
        p.set(U8, o + 17, (byte) (db ? 1 : 0));
        p.set(U8, o + 18, (byte) (s ? 1 : 0));
        p.set(U8, o + 19, (byte) (l ? 1 : 0));
        p.set(U8, o + 20, (byte) (g ? 1 : 0));
        p.set(U8, o + 21, (byte) 0);
        p.set(U8, o + 22, (byte) (unusable ? 1 : 0));
    }
}

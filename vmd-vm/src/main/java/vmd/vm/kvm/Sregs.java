package vmd.vm.kvm;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U64;

import java.lang.foreign.MemorySegment;

/**
 * struct kvm_sregs: segment registers, descriptor tables, control registers and EFER.
 * Read-modify-write: get the vCPU's current value, change what boot needs, set it back.
 */
public final class Sregs {
    static final int SIZE = 312;
    private static final int GDT = 192, IDT = 208, CR0 = 224, CR2 = 232, CR3 = 240, CR4 = 248, CR8 = 256, EFER = 264, APIC_BASE = 272;
    private final MemorySegment raw;

    Sregs(MemorySegment raw) {
        this.raw = raw;
    }

    MemorySegment raw() {
        return raw;
    }

    public enum Seg { CS, DS, ES, FS, GS, SS, TR, LDT }

    public Segment segment(Seg s) {
        return Segment.read(raw, (long) s.ordinal() * Segment.SIZE);
    }

    public void segment(Seg s, Segment value) {
        value.write(raw, (long) s.ordinal() * Segment.SIZE);
    }

    public void gdt(long base, int limit) {
        raw.set(U64, GDT, base);
        raw.set(U16, GDT + 8, (short) limit);
    }

    public void idt(long base, int limit) {
        raw.set(U64, IDT, base);
        raw.set(U16, IDT + 8, (short) limit);
    }

    public long cr0() { return raw.get(U64, CR0); }
    public void cr0(long v) { raw.set(U64, CR0, v); }
    public long cr2() { return raw.get(U64, CR2); }
    public long cr3() { return raw.get(U64, CR3); }
    public void cr3(long v) { raw.set(U64, CR3, v); }
    public long cr4() { return raw.get(U64, CR4); }
    public void cr4(long v) { raw.set(U64, CR4, v); }
    public long efer() { return raw.get(U64, EFER); }
    public void efer(long v) { raw.set(U64, EFER, v); }
    public long apicBase() { return raw.get(U64, APIC_BASE); }

    @Override
    public String toString() {
        Segment cs = segment(Seg.CS);
        return String.format("cr0=%08x cr2=%016x cr3=%016x cr4=%08x efer=%x cs=%04x(base %x l=%b)",
                cr0(), cr2(), cr3(), cr4(), efer(), cs.selector(), cs.base(), cs.l());
    }
}

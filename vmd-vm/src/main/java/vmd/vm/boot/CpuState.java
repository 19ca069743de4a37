package vmd.vm.boot;

/**
 * The boot vCPU's initial register state for a direct kernel boot: general registers the
 * entry ABI defines (the rest are zero), control registers, EFER, the eight segment
 * registers with their hidden parts, and the descriptor tables. The kvm layer copies it
 * into kvm_regs / kvm_sregs (read-modify-write, so apic_base and cr8 keep KVM's values);
 * {@link SegmentState} has exactly struct kvm_segment's fields.
 */
public record CpuState(Mode mode,
                       long rip, long rsp, long rsi, long rbx, long rflags,
                       long cr0, long cr3, long cr4, long efer,
                       SegmentState cs, SegmentState ds, SegmentState es, SegmentState fs,
                       SegmentState gs, SegmentState ss, SegmentState tr, SegmentState ldt,
                       long gdtBase, int gdtLimit, long idtBase, int idtLimit) implements VcpuSetup {

    /** Linux 64-bit boot protocol entry (long mode, paging on) or PVH entry (32-bit flat, paging off). */
    public enum Mode { LONG_64, PROTECTED_32 }

    public static final long CR0_PE = 1L, CR0_ET = 1L << 4, CR0_NE = 1L << 5, CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1L << 5;
    public static final long EFER_LME = 1L << 8, EFER_LMA = 1L << 10;
    /** RFLAGS with only the always-one bit 1: interrupts disabled. */
    public static final long RFLAGS_RESERVED = 2;

    /** struct kvm_segment: base, limit (bytes, already scaled by g), selector, type, and the attribute bits. */
    public record SegmentState(long base, int limit, int selector, int type, boolean present, int dpl,
                               boolean db, boolean s, boolean l, boolean g, boolean unusable) {
        /** Flat 4 GiB execute/read code, accessed: 64-bit ({@code l}) or 32-bit ({@code db}). */
        public static SegmentState code(int selector, boolean longMode) {
            return new SegmentState(0, 0xFFFF_FFFF, selector, 0xB, true, 0, !longMode, true, longMode, true, false);
        }

        /** Flat 4 GiB read/write data, accessed. */
        public static SegmentState data(int selector) {
            return new SegmentState(0, 0xFFFF_FFFF, selector, 0x3, true, 0, true, true, false, true, false);
        }

        /** A busy TSS (type 11: 64-bit in long mode, 32-bit otherwise). */
        public static SegmentState tss(int selector, long base, int limit) {
            return new SegmentState(base, limit, selector, 0xB, true, 0, false, false, false, false, false);
        }

        /** The LDT register as KVM resets it: selector 0, base 0, limit 0xFFFF, type 2 (LDT), present. */
        public static SegmentState ldtReset() {
            return new SegmentState(0, 0xFFFF, 0, 0x2, true, 0, false, false, false, false, false);
        }

        /** The 8-byte GDT descriptor encoding this segment (the low half for 16-byte system descriptors). */
        public long descriptor() {
            long lim = g ? (Integer.toUnsignedLong(limit) >>> 12) : Integer.toUnsignedLong(limit);
            if (lim > 0xFFFFF) throw new IllegalStateException("segment limit does not fit a descriptor: " + this);
            long access = (type & 0xF) | (s ? 0x10 : 0) | ((dpl & 3) << 5) | (present ? 0x80 : 0);
            long flags = (l ? 0x2 : 0) | (db ? 0x4 : 0) | (g ? 0x8 : 0);
            return (lim & 0xFFFF)
                    | ((base & 0xFF_FFFFL) << 16)
                    | (access << 40)
                    | (((lim >>> 16) & 0xF) << 48)
                    | (flags << 52)
                    | (((base >>> 24) & 0xFF) << 56);
        }
    }
}

package vmd.vm.boot;

import static vmd.vm.boot.MemoryMap.*;

import vmd.memory.GuestMemory;
import vmd.vm.boot.CpuState.SegmentState;

/**
 * The x86 structures a direct boot needs before the first instruction: the GDT the entry
 * ABI names (code 0x10, data 0x18, TSS 0x20), an empty IDT, identity page tables for the
 * first 4 GiB, and the matching {@link CpuState}.
 */
public final class CpuSetup {
    private CpuSetup() {}

    /** Page-directory entry flags: present, writable, 2 MiB page. */
    static final long PDE_2M = 0x83;
    /** Paging-structure entry flags: present, writable. */
    static final long PTE_TABLE = 0x03;

    /** 64-bit entry (Linux boot protocol 2.12+): long mode with the 4 GiB identity map. */
    public static CpuState longMode(GuestMemory mem, long rip, long rsi) {
        SegmentState cs = SegmentState.code(SELECTOR_CODE, true);
        SegmentState ds = SegmentState.data(SELECTOR_DATA);
        SegmentState tr = SegmentState.tss(SELECTOR_TSS, TSS_ADDRESS, TSS_LIMIT);
        writeGdt(mem, cs, ds, tr, true);
        writeIdentityPageTables(mem);
        return new CpuState(CpuState.Mode.LONG_64, rip, BOOT_STACK_TOP, rsi, 0, CpuState.RFLAGS_RESERVED,
                CpuState.CR0_PE | CpuState.CR0_ET | CpuState.CR0_NE | CpuState.CR0_PG, PML4_ADDRESS,
                CpuState.CR4_PAE, CpuState.EFER_LME | CpuState.EFER_LMA,
                cs, ds, ds, ds, ds, ds, tr, SegmentState.ldtReset(),
                GDT_ADDRESS, GDT_SIZE - 1, IDT_ADDRESS, IDT_LIMIT);
    }

    /** PVH entry: 32-bit flat protected mode, paging off, EBX = hvm_start_info. */
    public static CpuState protectedMode32(GuestMemory mem, long eip, long ebx) {
        SegmentState cs = SegmentState.code(SELECTOR_CODE, false);
        SegmentState ds = SegmentState.data(SELECTOR_DATA);
        SegmentState tr = SegmentState.tss(SELECTOR_TSS, TSS_ADDRESS, TSS_LIMIT);
        writeGdt(mem, cs, ds, tr, false);
        return new CpuState(CpuState.Mode.PROTECTED_32, eip, BOOT_STACK_TOP, 0, ebx, CpuState.RFLAGS_RESERVED,
                CpuState.CR0_PE | CpuState.CR0_ET, 0, 0, 0,
                cs, ds, ds, ds, ds, ds, tr, SegmentState.ldtReset(),
                GDT_ADDRESS, GDT_SIZE - 1, IDT_ADDRESS, IDT_LIMIT);
    }

    static void writeGdt(GuestMemory mem, SegmentState cs, SegmentState ds, SegmentState tr, boolean longMode) {
        mem.write(GDT_ADDRESS, new byte[GDT_SIZE]);
        mem.putLong(GDT_ADDRESS + cs.selector(), cs.descriptor());
        mem.putLong(GDT_ADDRESS + ds.selector(), ds.descriptor());
        mem.putLong(GDT_ADDRESS + tr.selector(), tr.descriptor());
        // A long-mode system descriptor is 16 bytes: the second half holds base bits 63:32.
        if (longMode) mem.putLong(GDT_ADDRESS + tr.selector() + 8, tr.base() >>> 32);
        mem.write(IDT_ADDRESS, new byte[8]);
        mem.write(TSS_ADDRESS, new byte[TSS_LIMIT + 1]);
    }

    /** PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; each PD maps 1 GiB in 2 MiB pages: 0..4 GiB identity. */
    static void writeIdentityPageTables(GuestMemory mem) {
        mem.write(PML4_ADDRESS, new byte[4096]);
        mem.write(PDPT_ADDRESS, new byte[4096]);
        mem.putLong(PML4_ADDRESS, PDPT_ADDRESS | PTE_TABLE);
        for (int i = 0; i < PD_COUNT; i++) {
            long pd = PD_ADDRESS + i * 4096L;
            mem.putLong(PDPT_ADDRESS + i * 8L, pd | PTE_TABLE);
            var buf = mem.buffer(pd, 4096);
            for (int j = 0; j < 512; j++) {
                long phys = ((long) i << 30) | ((long) j << 21);
                buf.putLong(j * 8, phys | PDE_2M);
            }
        }
    }
}

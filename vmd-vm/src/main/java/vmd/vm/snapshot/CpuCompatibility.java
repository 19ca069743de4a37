package vmd.vm.snapshot;

import java.util.ArrayList;
import java.util.List;
import vmd.vm.kvm.CpuidTable;

/**
 * Whether a guest that saw one CPUID can go on under this host's KVM: every feature bit
 * it was shown must be one KVM can offer here, or the guest would execute instructions
 * that fault. Compared leaves: 1 (ECX, EDX), 7.0 (EBX, ECX, EDX), 0xD.1 (EAX: XSAVE
 * variants) and 0x80000001 (ECX, EDX). Bits that follow guest state rather than the CPU
 * (OSXSAVE, the APIC enable, the hypervisor bit vmd sets) are left out.
 */
public final class CpuCompatibility {
    private static final int OSXSAVE = 1 << 27, HYPERVISOR = 1 << 31, APIC = 1 << 9;

    private CpuCompatibility() {}

    /** One line per register with features the host lacks; empty if the guest can run here. */
    public static List<String> missing(CpuidTable guest, CpuidTable host) {
        List<String> out = new ArrayList<>();
        compare(out, guest, host, 1, 0, "ecx", ~(OSXSAVE | HYPERVISOR));
        compare(out, guest, host, 1, 0, "edx", ~APIC);
        compare(out, guest, host, 7, 0, "ebx", -1);
        compare(out, guest, host, 7, 0, "ecx", -1);
        compare(out, guest, host, 7, 0, "edx", -1);
        compare(out, guest, host, 0xd, 1, "eax", -1);
        compare(out, guest, host, 0x8000_0001, 0, "ecx", -1);
        compare(out, guest, host, 0x8000_0001, 0, "edx", -1);
        return out;
    }

    private static void compare(List<String> out, CpuidTable guest, CpuidTable host, int leaf, int sub, String reg, int mask) {
        CpuidTable.Entry g = exact(guest, leaf, sub);
        if (g == null) return;
        CpuidTable.Entry h = exact(host, leaf, sub);
        int want = value(g, reg) & mask, have = h == null ? 0 : value(h, reg);
        int lacking = want & ~have;
        if (lacking != 0) out.add(String.format("CPUID 0x%x.%d %s bits 0x%08x", leaf, sub, reg, lacking));
    }

    private static CpuidTable.Entry exact(CpuidTable t, int leaf, int sub) {
        for (CpuidTable.Entry e : t.entries()) if (e.function == leaf && e.index == sub) return e;
        return null;
    }

    private static int value(CpuidTable.Entry e, String reg) {
        return switch (reg) {
            case "eax" -> e.eax;
            case "ebx" -> e.ebx;
            case "ecx" -> e.ecx;
            default -> e.edx;
        };
    }
}

package vmd.vm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.vm.boot.CpuState;
import vmd.vm.kvm.CpuidTable;
import vmd.vm.kvm.Regs;
import vmd.vm.kvm.Segment;
import vmd.vm.kvm.Sregs;
import vmd.vm.kvm.Vcpu;

/**
 * Puts a new vCPU in the state the guest may assume: CPUID from what KVM supports with
 * this vCPU's APIC id and the hypervisor bit, the MSRs firmware would have set, x87/SSE
 * defaults, and for the boot vCPU of a direct boot the boot protocol's registers.
 */
final class VcpuInit {
    private static final Logger log = LoggerFactory.getLogger(VcpuInit.class);
    private static final int CPUID_FEATURES = 1, CPUID_EXT_TOPOLOGY = 0xB, CPUID_V2_TOPOLOGY = 0x1F;
    private static final int ECX_HYPERVISOR = 1 << 31;

    /** Index, value: only MSRs KVM accepts everywhere (PVM refuses some, e.g. 0x10a). */
    private static final long[][] BOOT_MSRS = {
        {0x174, 0}, {0x175, 0}, {0x176, 0},                 // SYSENTER_CS/ESP/EIP
        {0xC0000081L, 0}, {0xC0000082L, 0}, {0xC0000083L, 0}, // STAR, LSTAR, CSTAR
        {0xC0000084L, 0}, {0xC0000102L, 0},                 // SYSCALL_MASK, KERNEL_GS_BASE
        {0x1A0, 1},                                         // MISC_ENABLE: fast strings
    };

    private VcpuInit() {}

    /** Returns the CPUID table it set. */
    static CpuidTable configure(Vcpu vcpu, CpuidTable supported, int cpuCount) {
        CpuidTable cpuid = cpuidFor(supported, vcpu.id(), cpuCount);
        vcpu.setCpuid(cpuid);
        for (long[] msr : BOOT_MSRS) {
            if (vcpu.setMsrs(new long[][] {msr}) != 1) {
                log.debug("vcpu {}: KVM refused MSR 0x{}", vcpu.id(), Long.toHexString(msr[0]));
            }
        }
        vcpu.resetFpu();
        return cpuid;
    }

    /** KVM's supported leaves, with this vCPU's APIC id where the guest reads it. */
    static CpuidTable cpuidFor(CpuidTable supported, int apicId, int cpuCount) {
        CpuidTable t = supported.copy();
        for (CpuidTable.Entry e : t.entries()) {
            if (e.function == CPUID_FEATURES) {
                e.ebx = (e.ebx & 0x0000FFFF) | (apicId << 24) | (Math.min(cpuCount, 255) << 16);
                e.ecx |= ECX_HYPERVISOR;
            } else if (e.function == CPUID_EXT_TOPOLOGY || e.function == CPUID_V2_TOPOLOGY) {
                e.edx = apicId;
            }
        }
        return t;
    }

    /** Loads a direct-boot register state into the boot vCPU. */
    static void load(Vcpu vcpu, CpuState s) {
        Sregs sregs = vcpu.sregs();
        sregs.segment(Sregs.Seg.CS, segment(s.cs()));
        sregs.segment(Sregs.Seg.DS, segment(s.ds()));
        sregs.segment(Sregs.Seg.ES, segment(s.es()));
        sregs.segment(Sregs.Seg.FS, segment(s.fs()));
        sregs.segment(Sregs.Seg.GS, segment(s.gs()));
        sregs.segment(Sregs.Seg.SS, segment(s.ss()));
        sregs.segment(Sregs.Seg.TR, segment(s.tr()));
        sregs.segment(Sregs.Seg.LDT, segment(s.ldt()));
        sregs.gdt(s.gdtBase(), s.gdtLimit());
        sregs.idt(s.idtBase(), s.idtLimit());
        sregs.cr0(s.cr0());
        sregs.cr3(s.cr3());
        sregs.cr4(s.cr4());
        sregs.efer(s.efer());
        vcpu.setSregs(sregs);
        Regs r = new Regs();
        r.rip = s.rip();
        r.rsp = s.rsp();
        r.rsi = s.rsi();
        r.rbx = s.rbx();
        r.rflags = s.rflags();
        vcpu.setRegs(r);
    }

    private static Segment segment(CpuState.SegmentState x) {
        return new Segment(x.base(), x.limit(), x.selector(), x.type(), x.present(), x.dpl(), x.db(), x.s(), x.l(), x.g(),
                x.unusable());
    }
}

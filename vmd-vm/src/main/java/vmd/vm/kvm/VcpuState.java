package vmd.vm.kvm;

import static vmd.vm.kvm.KvmIoctls.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything KVM holds for one vCPU that a snapshot must carry: general and special
 * registers, the XSAVE area (x87, SSE, AVX...) and XCR0, the MSRs KVM lists as
 * saveable, multiprocessing state, the local APIC page, pending events (exceptions,
 * NMIs, interrupt shadow) and the debug registers. Taken while the vCPU is out of
 * KVM_RUN with its last exit completed (see {@link VcpuThread#pause}).
 *
 * <p>The structures stay in KVM's own binary layout: the stream is read back by the same
 * kernel ABI (x86-64 linux/kvm.h), and their sizes are part of the ioctl numbers.
 */
public record VcpuState(byte[] regs, byte[] sregs, byte[] xsave, byte[] xcrs, long[][] msrs, byte[] mpState,
                        byte[] lapic, byte[] events, byte[] debugRegs) {
    private static final Logger log = LoggerFactory.getLogger(VcpuState.class);
    static final int REGS = 144, SREGS = 312, XSAVE = 4096, XCRS = 392, MP_STATE = 4, LAPIC = 1024, EVENTS = 64,
            DEBUGREGS = 128;
    /** IA32_TSC_DEADLINE: restored after the LAPIC, whose timer mode decides whether it means anything. */
    private static final long MSR_TSC_DEADLINE = 0x6e0;

    public static VcpuState capture(Vcpu v, int[] msrIndices) {
        Kvm kvm = v.vm().kvm();
        byte[] xsave = kvm.checkExtension(KVM_CAP_XSAVE) > 0 ? v.getState("KVM_GET_XSAVE", KVM_GET_XSAVE, XSAVE) : new byte[0];
        byte[] xcrs = kvm.checkExtension(KVM_CAP_XCRS) > 0 ? v.getState("KVM_GET_XCRS", KVM_GET_XCRS, XCRS) : new byte[0];
        byte[] fpu = xsave.length == 0 ? v.getState("KVM_GET_FPU", KVM_GET_FPU, 416) : xsave;
        byte[] debug = kvm.checkExtension(KVM_CAP_DEBUGREGS) > 0 ? v.getState("KVM_GET_DEBUGREGS", KVM_GET_DEBUGREGS, DEBUGREGS) : new byte[0];
        return new VcpuState(v.getState("KVM_GET_REGS", KVM_GET_REGS, REGS), v.getState("KVM_GET_SREGS", KVM_GET_SREGS, SREGS),
                fpu, xcrs, v.getMsrs(msrIndices), v.getState("KVM_GET_MP_STATE", KVM_GET_MP_STATE, MP_STATE),
                v.getState("KVM_GET_LAPIC", KVM_GET_LAPIC, LAPIC), v.getState("KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS, EVENTS), debug);
    }

    /**
     * Loads the state into a vCPU whose CPUID is already set, in the order QEMU uses
     * (kvm_arch_put_registers): special registers before MSRs (EFER), MSRs before the
     * APIC (APIC base), the TSC deadline after the APIC, events and debug registers last.
     */
    public void restore(Vcpu v) {
        v.setState("KVM_SET_SREGS", KVM_SET_SREGS, sregs);
        v.setState("KVM_SET_REGS", KVM_SET_REGS, regs);
        if (xsave.length == XSAVE) v.setState("KVM_SET_XSAVE", KVM_SET_XSAVE, xsave);
        else v.setState("KVM_SET_FPU", KVM_SET_FPU, xsave);
        if (xcrs.length == XCRS) v.setState("KVM_SET_XCRS", KVM_SET_XCRS, xcrs);
        long deadline = 0;
        java.util.List<long[]> rest = new java.util.ArrayList<>();
        for (long[] m : msrs) {
            if (m[0] == MSR_TSC_DEADLINE) deadline = m[1];
            else rest.add(m);
        }
        // one KVM_SET_MSRS for all; it stops at the first it refuses, which is skipped
        int from = 0;
        while (from < rest.size()) {
            long[][] batch = rest.subList(from, rest.size()).toArray(new long[0][]);
            int set = v.setMsrs(batch);
            if (set < batch.length) {
                long[] refused = batch[set];
                log.warn("vcpu {}: KVM refused MSR 0x{} = 0x{}", v.id(), Long.toHexString(refused[0]), Long.toHexString(refused[1]));
            }
            from += set + 1;
        }
        v.setState("KVM_SET_MP_STATE", KVM_SET_MP_STATE, mpState);
        v.setState("KVM_SET_LAPIC", KVM_SET_LAPIC, lapic);
        if (deadline != 0) v.setMsrs(new long[][] {{MSR_TSC_DEADLINE, deadline}});
        v.setState("KVM_SET_VCPU_EVENTS", KVM_SET_VCPU_EVENTS, events);
        if (debugRegs.length == DEBUGREGS) v.setState("KVM_SET_DEBUGREGS", KVM_SET_DEBUGREGS, debugRegs);
    }

    /** The instruction pointer, for log lines. */
    public long rip() {
        return ByteBuffer.wrap(regs).order(ByteOrder.LITTLE_ENDIAN).getLong(16 * 8);
    }
}

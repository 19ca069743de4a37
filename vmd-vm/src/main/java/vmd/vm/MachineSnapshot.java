package vmd.vm;

import java.util.ArrayList;
import java.util.List;
import vmd.vm.kvm.CpuidTable;
import vmd.vm.kvm.KvmVm;
import vmd.vm.kvm.Vcpu;
import vmd.vm.kvm.VcpuState;
import vmd.vm.snapshot.CpuCompatibility;
import vmd.vm.snapshot.MemoryImage;
import vmd.vm.snapshot.SnapshotException;
import vmd.vm.snapshot.SnapshotFormat.Kind;
import vmd.vm.snapshot.SnapshotReader;
import vmd.vm.snapshot.SnapshotWriter;
import vmd.vm.snapshot.StateReader;
import vmd.vm.snapshot.StateWriter;
import vmd.vm.snapshot.StreamFd;

/**
 * Which sections a machine's snapshot has and what goes in each (the stream format is
 * {@link vmd.vm.snapshot.SnapshotFormat}'s): the machine's shape, per vCPU its CPUID and
 * KVM state, the in-kernel chips, every device by name, and guest memory last.
 */
final class MachineSnapshot {
    /** The machine's shape; a stream is restored only into a VM of the same shape. */
    record Shape(long memoryBytes, int vcpus, int disks, int nics, String bootKind) {
        void write(StateWriter w) {
            w.u64(memoryBytes).u32(vcpus).u32(disks).u32(nics).string(bootKind);
        }

        static Shape read(StateReader r) {
            return new Shape(r.u64(), r.u32(), r.u32(), r.u32(), r.string());
        }

        /** Empty if {@code local} can take a stream of this shape, else what differs. */
        List<String> differences(Shape local) {
            List<String> d = new ArrayList<>();
            if (memoryBytes != local.memoryBytes) d.add("memory " + (memoryBytes >> 20) + "M, this VM " + (local.memoryBytes >> 20) + "M");
            if (vcpus != local.vcpus) d.add(vcpus + " vcpus, this VM " + local.vcpus);
            if (disks != local.disks) d.add(disks + " disks, this VM " + local.disks);
            if (nics != local.nics) d.add(nics + " interfaces, this VM " + local.nics);
            if (!bootKind.equals(local.bootKind)) d.add("boot " + bootKind + ", this VM " + local.bootKind);
            return d;
        }
    }

    private MachineSnapshot() {}

    static void writeVcpu(StateWriter w, VcpuState s) {
        w.bytes(s.regs()).bytes(s.sregs()).bytes(s.xsave()).bytes(s.xcrs()).u32(s.msrs().length);
        for (long[] m : s.msrs()) w.u64(m[0]).u64(m[1]);
        w.bytes(s.mpState()).bytes(s.lapic()).bytes(s.events()).bytes(s.debugRegs());
    }

    static VcpuState readVcpu(StateReader r) {
        byte[] regs = r.bytes(144), sregs = r.bytes(312), xsave = r.bytes(), xcrs = r.bytes();
        if (xsave.length != 4096 && xsave.length != 416) throw new SnapshotException("vcpu state: FPU area of " + xsave.length + " bytes");
        if (xcrs.length != 0 && xcrs.length != 392) throw new SnapshotException("vcpu state: XCR area of " + xcrs.length + " bytes");
        int n = r.u32(0, 4096, "MSR count");
        long[][] msrs = new long[n][];
        for (int i = 0; i < n; i++) msrs[i] = new long[] {r.u64(), r.u64()};
        byte[] mp = r.bytes(4), lapic = r.bytes(1024), events = r.bytes(64), debug = r.bytes();
        if (debug.length != 0 && debug.length != 128) throw new SnapshotException("vcpu state: debug registers of " + debug.length + " bytes");
        r.end();
        return new VcpuState(regs, sregs, xsave, xcrs, msrs, mp, lapic, events, debug);
    }

    static void writeChips(SnapshotWriter out, KvmVm vm) {
        StateWriter w = new StateWriter();
        for (int chip = 0; chip < KvmVm.IRQCHIP_COUNT; chip++) w.bytes(vm.irqchip(chip));
        w.bytes(vm.pitState()).u64(vm.clock());
        out.add(Kind.CHIPS, 0, w.toByteArray());
    }

    static void restoreChips(SnapshotReader in, KvmVm vm) {
        StateReader r = in.section(Kind.CHIPS, 0);
        for (int chip = 0; chip < KvmVm.IRQCHIP_COUNT; chip++) {
            byte[] state = r.bytes(KvmVm.IRQCHIP_SIZE);
            int id = (state[0] & 0xff) | (state[1] & 0xff) << 8 | (state[2] & 0xff) << 16 | (state[3] & 0xff) << 24;
            if (id != chip) throw new SnapshotException("snapshot interrupt controller " + chip + " is labelled " + id);
            vm.setIrqchip(state);
        }
        vm.setPitState(r.bytes(KvmVm.PIT_STATE_SIZE));
        vm.setClock(r.u64());
        r.end();
    }

    /**
     * The saved CPUID of vCPU {@code id}, if this host's KVM can offer all of it; else
     * the stream came from a machine with other CPU features and is refused.
     */
    static CpuidTable cpuid(SnapshotReader in, int id, CpuidTable supported) {
        CpuidTable saved;
        try {
            saved = CpuidTable.fromBytes(in.section(Kind.CPUID, id).bytes());
        } catch (IllegalArgumentException e) {
            throw new SnapshotException("snapshot CPUID of vcpu " + id + ": " + e.getMessage());
        }
        List<String> missing = CpuCompatibility.missing(saved, supported);
        if (!missing.isEmpty()) {
            throw new SnapshotException("the snapshot comes from a CPU with features this host lacks: " + String.join(", ", missing));
        }
        return saved;
    }

    static void writeCpuid(SnapshotWriter out, int id, CpuidTable cpuid) {
        out.add(Kind.CPUID, id, new StateWriter().bytes(cpuid.toBytes()).toByteArray());
    }

    static void writeVcpu(SnapshotWriter out, Vcpu vcpu, int[] msrIndices) {
        StateWriter w = new StateWriter();
        writeVcpu(w, VcpuState.capture(vcpu, msrIndices));
        out.add(Kind.VCPU, vcpu.id(), w.toByteArray());
    }

    static void restoreCpu(SnapshotReader in, Vcpu vcpu) {
        readVcpu(in.section(Kind.VCPU, vcpu.id())).restore(vcpu);
    }

    static long writeMemory(SnapshotWriter out, vmd.memory.GuestMemory memory) {
        MemoryImage image = new MemoryImage(memory);
        out.memory(image);
        return image.pagesPresent();
    }

    static long write(SnapshotWriter out, StreamFd fd) {
        return out.writeTo(fd);
    }
}

package vmd.vm.kvm;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U32;
import static vmd.sys.Native.U64;

import static vmd.vm.kvm.KvmIoctls.*;

import java.lang.foreign.MemorySegment;
import vmd.sys.Fds;
import vmd.sys.Mman;
import vmd.sys.Native;
import vmd.sys.NativeException;

/** One virtual CPU: its registers and its KVM_RUN. Used only from its own thread once running. */
public final class Vcpu implements AutoCloseable {
    private static final int EINTR = 4, EAGAIN = 11;

    private final KvmVm vm;
    private final int id;
    private final int fd;
    private final KvmRun run;
    private final MemorySegment regsBuf = Native.allocate(Regs.SIZE);

    Vcpu(KvmVm vm, int id, int fd, int mmapSize) {
        this.vm = vm;
        this.id = id;
        this.fd = fd;
        long addr = Native.check("mmap(kvm_run)",
                Native.libc().mmap(0, mmapSize, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED, fd, 0));
        this.run = new KvmRun(addr, mmapSize);
    }

    public int id() {
        return id;
    }

    public KvmVm vm() {
        return vm;
    }

    public KvmRun kvmRun() {
        return run;
    }

    public void setCpuid(CpuidTable table) {
        Fds.ioctl(fd, "KVM_SET_CPUID2", KVM_SET_CPUID2, table.toNative());
    }

    public Regs regs() {
        Fds.ioctl(fd, "KVM_GET_REGS", KVM_GET_REGS, regsBuf);
        return Regs.read(regsBuf);
    }

    public void setRegs(Regs r) {
        r.write(regsBuf);
        Fds.ioctl(fd, "KVM_SET_REGS", KVM_SET_REGS, regsBuf);
    }

    public Sregs sregs() {
        MemorySegment p = Native.allocate(Sregs.SIZE);
        Fds.ioctl(fd, "KVM_GET_SREGS", KVM_GET_SREGS, p);
        return new Sregs(p);
    }

    public void setSregs(Sregs s) {
        Fds.ioctl(fd, "KVM_SET_SREGS", KVM_SET_SREGS, s.raw());
    }

    /** Sets MSRs; returns how many KVM accepted (it stops at the first it refuses). */
    public int setMsrs(long[][] indexValue) {
        MemorySegment p = Native.allocate(8 + 16 * indexValue.length);
        p.set(U32, 0, indexValue.length);
        for (int i = 0; i < indexValue.length; i++) {
            p.set(U32, 8 + 16L * i, (int) indexValue[i][0]);
            p.set(U64, 8 + 16L * i + 8, indexValue[i][1]);
        }
        return Fds.ioctl(fd, "KVM_SET_MSRS", KVM_SET_MSRS, p);
    }

    /** One KVM_GET_* of a fixed-size structure, as bytes. */
    byte[] getState(String name, long request, int size) {
        MemorySegment p = Native.allocate(size);
        Fds.ioctl(fd, name, request, p);
        return p.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** The KVM_SET_* matching {@link #getState}. */
    void setState(String name, long request, byte[] state) {
        MemorySegment p = Native.allocate(state.length);
        MemorySegment.copy(state, 0, p, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, state.length);
        Fds.ioctl(fd, name, request, p);
    }

    /**
     * Reads each MSR of {@code indices} KVM lets this vCPU read; an index it refuses
     * (KVM_GET_MSRS stops at the first) is left out. Returns {index, value} pairs.
     */
    public long[][] getMsrs(int[] indices) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        int from = 0;
        while (from < indices.length) {
            int n = indices.length - from;
            MemorySegment p = Native.allocate(8 + 16L * n);
            p.set(U32, 0, n);
            for (int i = 0; i < n; i++) p.set(U32, 8 + 16L * i, indices[from + i]);
            int got = Fds.ioctl(fd, "KVM_GET_MSRS", KVM_GET_MSRS, p);
            for (int i = 0; i < got; i++) out.add(new long[] {indices[from + i] & 0xffff_ffffL, p.get(U64, 8 + 16L * i + 8)});
            from += got + 1; // skip the one it refused
        }
        return out.toArray(new long[0][]);
    }

    /** x87 control word and MXCSR at their reset values, as firmware would leave them. */
    public void resetFpu() {
        MemorySegment p = Native.allocate(416);
        p.set(U16, 128, (short) 0x37f); // struct kvm_fpu.fcw
        p.set(U32, 408, 0x1f80);          // struct kvm_fpu.mxcsr
        Fds.ioctl(fd, "KVM_SET_FPU", KVM_SET_FPU, p);
    }

    /**
     * The signals blocked while the guest runs: this thread's mask without {@code kick},
     * so a kick sent at any time either interrupts KVM_RUN or stays pending and makes
     * the next KVM_RUN return at once.
     */
    public void setRunSignalMask(MemorySegment threadMask, int kick) {
        MemorySegment p = Native.allocate(4 + vmd.sys.Signals.KERNEL_SIGSET_SIZE);
        p.set(U32, 0, vmd.sys.Signals.KERNEL_SIGSET_SIZE);
        long mask = threadMask.get(U64, 0) & ~(1L << (kick - 1));
        p.set(U64, 4, mask);
        Fds.ioctl(fd, "KVM_SET_SIGNAL_MASK", KVM_SET_SIGNAL_MASK, p);
    }

    /** Runs the guest until an exit. Returns false if a signal (a kick) interrupted it. */
    public boolean run() {
        int rc = Native.libc().ioctl(fd, KVM_RUN, 0L);
        if (rc == 0) return true;
        int errno = Native.errno();
        if (errno == EINTR || errno == EAGAIN) return false;
        throw new NativeException("KVM_RUN (vcpu " + id + ")", errno);
    }

    @Override
    public void close() {
        Fds.closeQuietly(fd);
    }
}

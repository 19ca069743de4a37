package vmd.vm.kvm;

import static vmd.sys.Native.U64;

import java.lang.foreign.MemorySegment;

/** struct kvm_regs: the general-purpose registers, rip and rflags. */
public final class Regs {
    public long rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    public long r8, r9, r10, r11, r12, r13, r14, r15;
    public long rip, rflags = 2;
    static final int SIZE = 144;

    static Regs read(MemorySegment p) {
        Regs r = new Regs();
        long[] v = new long[18];
        for (int i = 0; i < 18; i++) v[i] = p.get(U64, 8L * i);
        r.rax = v[0]; r.rbx = v[1]; r.rcx = v[2]; r.rdx = v[3];
        r.rsi = v[4]; r.rdi = v[5]; r.rsp = v[6]; r.rbp = v[7];
        r.r8 = v[8]; r.r9 = v[9]; r.r10 = v[10]; r.r11 = v[11];
        r.r12 = v[12]; r.r13 = v[13]; r.r14 = v[14]; r.r15 = v[15];
        r.rip = v[16]; r.rflags = v[17];
        return r;
    }

    void write(MemorySegment p) {
        long[] v = {rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags};
        for (int i = 0; i < 18; i++) p.set(U64, 8L * i, v[i]);
    }

    @Override
    public String toString() {
        return String.format("rip=%016x rflags=%08x rsp=%016x rbp=%016x%n"
                        + "rax=%016x rbx=%016x rcx=%016x rdx=%016x%n"
                        + "rsi=%016x rdi=%016x r8=%016x r9=%016x",
                rip, rflags, rsp, rbp, rax, rbx, rcx, rdx, rsi, rdi, r8, r9);
    }
}

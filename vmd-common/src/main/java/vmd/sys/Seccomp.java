package vmd.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A seccomp-BPF deny list, installed for every thread of the process at once
 * (SECCOMP_FILTER_FLAG_TSYNC), after the JVM is up and before a child touches
 * guest-controlled data. A JVM needs too many system calls for an allow list to stay
 * correct across JDK updates, so the filter refuses what a compromised device could use
 * to leave its box: running programs, new processes, namespaces, mounts, other
 * processes' memory, kernel modules, BPF, keys, reboot — with EPERM (the JVM reports it
 * and carries on) — and any syscall from a foreign ABI (x32, i386) outright.
 */
public final class Seccomp {
    private static final int SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final long SYS_SECCOMP = 317;
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int CLONE_THREAD = 0x10000;
    private static final int EPERM = 1, ENOSYS = 38;
    private static final int RET_KILL_PROCESS = 0x80000000, RET_ERRNO = 0x00050000, RET_ALLOW = 0x7fff0000;
    // struct seccomp_data: nr (0), arch (4), instruction_pointer (8), args[6] (16..)
    private static final int OFF_NR = 0, OFF_ARCH = 4, OFF_ARG0_LO = 16;
    // classic BPF opcodes
    private static final short LD_W_ABS = 0x20, JEQ_K = 0x15, JSET_K = 0x45, JGE_K = 0x35, RET_K = 0x06;

    /** Calls no device process may make (x86-64 numbers). */
    public static final int[] DEVICE_DENY = {
        57, 58,          // fork, vfork
        59, 322,         // execve, execveat
        101,             // ptrace
        165, 166, 155, 161, // mount, umount2, pivot_root, chroot
        272, 308,        // unshare, setns
        246, 320,        // kexec_load, kexec_file_load
        175, 313, 176,   // init_module, finit_module, delete_module
        321, 298,        // bpf, perf_event_open
        310, 311,        // process_vm_readv, process_vm_writev
        248, 249, 250,   // add_key, request_key, keyctl
        304, 323,        // open_by_handle_at, userfaultfd
        169, 167, 168,   // reboot, swapon, swapoff
        139, 134,        // sysfs, uselib
        428, 429, 430, 431, 432, 433, // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick
    };
    private static final int SYS_CLONE = 56, SYS_CLONE3 = 435;

    private Seccomp() {}

    /** Installs the device filter on every thread; {@code extra} adds calls to refuse (e.g. socket for vioblk). */
    public static void lockDown(int... extra) {
        List<Integer> deny = new ArrayList<>();
        for (int nr : DEVICE_DENY) deny.add(nr);
        for (int nr : extra) deny.add(nr);
        install(program(deny));
    }

    static byte[] program(List<Integer> deny) {
        List<long[]> p = new ArrayList<>(); // {code, jt, jf, k}
        // A foreign architecture or the x32 ABI: kill.
        p.add(new long[] {LD_W_ABS, 0, 0, OFF_ARCH});
        p.add(new long[] {JEQ_K, 1, 0, AUDIT_ARCH_X86_64});
        p.add(new long[] {RET_K, 0, 0, RET_KILL_PROCESS & 0xffffffffL});
        p.add(new long[] {LD_W_ABS, 0, 0, OFF_NR});
        p.add(new long[] {JGE_K, 0, 1, X32_SYSCALL_BIT});
        p.add(new long[] {RET_K, 0, 0, RET_KILL_PROCESS & 0xffffffffL});
        for (int nr : deny) {
            p.add(new long[] {JEQ_K, 0, 1, nr});
            p.add(new long[] {RET_K, 0, 0, RET_ERRNO | EPERM});
        }
        // clone3 cannot be inspected (its flags are behind a pointer): ENOSYS makes glibc use clone.
        p.add(new long[] {JEQ_K, 0, 1, SYS_CLONE3});
        p.add(new long[] {RET_K, 0, 0, RET_ERRNO | ENOSYS});
        // clone without CLONE_THREAD would be a new process: only threads are allowed.
        p.add(new long[] {JEQ_K, 0, 3, SYS_CLONE});
        p.add(new long[] {LD_W_ABS, 0, 0, OFF_ARG0_LO});
        p.add(new long[] {JSET_K, 1, 0, CLONE_THREAD});
        p.add(new long[] {RET_K, 0, 0, RET_ERRNO | EPERM});
        p.add(new long[] {RET_K, 0, 0, RET_ALLOW});
        ByteBuffer b = ByteBuffer.allocate(p.size() * 8).order(ByteOrder.nativeOrder());
        for (long[] i : p) b.putShort((short) i[0]).put((byte) i[1]).put((byte) i[2]).putInt((int) i[3]);
        return b.array();
    }

    private static void install(byte[] filter) {
        java.lang.foreign.MemorySegment insns = Native.allocate(filter);
        java.lang.foreign.MemorySegment prog = Native.allocate(16); // struct sock_fprog { u16 len; struct sock_filter *filter; }
        prog.set(Native.U16, 0, (short) (filter.length / 8));
        prog.set(Native.U64, 8, insns.address());
        Prctl.setNoNewPrivs();
        try {
            Native.check("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)",
                    Native.libc().syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog.address()));
        } finally {
            java.lang.ref.Reference.reachabilityFence(insns); // the kernel reads them by address
            java.lang.ref.Reference.reachabilityFence(prog);
        }
    }
}

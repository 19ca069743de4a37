package vmd.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;

/**
 * The C library calls vmd makes, as java.lang.foreign downcalls (no generated classes,
 * so children start from an AOT cache). Addresses are passed as {@code long} where the
 * caller holds a raw address (guest memory, iovec arrays), structures as
 * {@link MemorySegment}s. Every call captures errno into a per-thread slot that
 * {@link Native#errno()} reads.
 */
public final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final long ERRNO = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option SAVE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    static final LibC INSTANCE = new LibC();

    private LibC() {}

    /** errno as the last call on this thread left it. */
    int errno() {
        return STATE.get().get(JAVA_INT, ERRNO);
    }

    private static MemorySegment state() {
        return STATE.get();
    }

    // One downcall handle serves every function: it takes the function's address and six
    // 64-bit integer arguments and returns one. On x86-64 an int, a short or a pointer
    // travels in the same register as a long, surplus arguments are ignored by the callee,
    // and an int result is the low half of rax; the variadic convention (AL = the number
    // of vector registers used, 0) is what variadic functions (fcntl, ioctl, open, prctl,
    // syscall) need and what the others ignore. So the linker generates one stub, not one
    // per function: linking ~70 shapes was ~200 ms of every child's start, and an AOT cache
    // cannot hold generated stubs.
    private static final MethodHandle CALL = LINKER.downcallHandle(FunctionDescriptor.of(JAVA_LONG,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            SAVE_ERRNO, Linker.Option.firstVariadicArg(1));

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static long call(MemorySegment fn, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) CALL.invokeExact(fn, state(), a, b, c, d, e, f);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    private static long call(MemorySegment fn) { return call(fn, 0, 0, 0, 0, 0, 0); }
    private static long call(MemorySegment fn, long a) { return call(fn, a, 0, 0, 0, 0, 0); }
    private static long call(MemorySegment fn, long a, long b) { return call(fn, a, b, 0, 0, 0, 0); }
    private static long call(MemorySegment fn, long a, long b, long c) { return call(fn, a, b, c, 0, 0, 0); }
    private static long call(MemorySegment fn, long a, long b, long c, long d) { return call(fn, a, b, c, d, 0, 0); }
    private static long call(MemorySegment fn, long a, long b, long c, long d, long e) { return call(fn, a, b, c, d, e, 0); }

    private static RuntimeException fail(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // Descriptors and files
    private static final MemorySegment MEMFD_CREATE = symbol("memfd_create");
    private static final MemorySegment FCNTL = symbol("fcntl");
    private static final MemorySegment FTRUNCATE = symbol("ftruncate");
    private static final MemorySegment CLOSE = symbol("close");
    private static final MemorySegment READ = symbol("read");
    private static final MemorySegment WRITE = symbol("write");
    private static final MemorySegment PREAD = symbol("pread");
    private static final MemorySegment PWRITE = symbol("pwrite");
    private static final MemorySegment READV = symbol("readv");
    private static final MemorySegment WRITEV = symbol("writev");
    private static final MemorySegment PREADV = symbol("preadv");
    private static final MemorySegment PWRITEV = symbol("pwritev");
    private static final MemorySegment FDATASYNC = symbol("fdatasync");
    private static final MemorySegment FALLOCATE = symbol("fallocate");
    private static final MemorySegment LSEEK = symbol("lseek");
    private static final MemorySegment FSTAT = symbol("fstat");
    private static final MemorySegment OPEN = symbol("open");
    private static final MemorySegment DUP2 = symbol("dup2");
    private static final MemorySegment PIPE2 = symbol("pipe2");
    private static final MemorySegment EVENTFD = symbol("eventfd");
    private static final MemorySegment IOCTL_LONG = symbol("ioctl");
    private static final MemorySegment IOCTL_PTR = symbol("ioctl");
    private static final MemorySegment POLL = symbol("poll");

    // Memory
    private static final MemorySegment MMAP = symbol("mmap");
    private static final MemorySegment MUNMAP = symbol("munmap");
    private static final MemorySegment MPROTECT = symbol("mprotect");
    private static final MemorySegment MREMAP = symbol("mremap");
    private static final MemorySegment MADVISE = symbol("madvise");
    private static final MemorySegment SYSCALL = symbol("syscall");

    // Sockets
    private static final MemorySegment SOCKETPAIR = symbol("socketpair");
    private static final MemorySegment SHUTDOWN = symbol("shutdown");
    private static final MemorySegment SOCKET = symbol("socket");
    private static final MemorySegment BIND = symbol("bind");
    private static final MemorySegment LISTEN = symbol("listen");
    private static final MemorySegment ACCEPT4 = symbol("accept4");
    private static final MemorySegment CONNECT = symbol("connect");
    private static final MemorySegment SETSOCKOPT = symbol("setsockopt");
    private static final MemorySegment SENDMSG = symbol("sendmsg");
    private static final MemorySegment RECVMSG = symbol("recvmsg");

    // Terminals
    private static final MemorySegment TCGETATTR = symbol("tcgetattr");
    private static final MemorySegment TCSETATTR = symbol("tcsetattr");
    private static final MemorySegment CFMAKERAW = symbol("cfmakeraw");
    private static final MemorySegment POSIX_OPENPT = symbol("posix_openpt");
    private static final MemorySegment GRANTPT = symbol("grantpt");
    private static final MemorySegment UNLOCKPT = symbol("unlockpt");
    private static final MemorySegment PTSNAME_R = symbol("ptsname_r");

    // Processes
    private static final MemorySegment FA_INIT = symbol("posix_spawn_file_actions_init");
    private static final MemorySegment FA_DESTROY = symbol("posix_spawn_file_actions_destroy");
    private static final MemorySegment FA_ADDDUP2 = symbol("posix_spawn_file_actions_adddup2");
    private static final MemorySegment FA_ADDCLOSEFROM = symbol("posix_spawn_file_actions_addclosefrom_np");
    private static final MemorySegment ATTR_INIT = symbol("posix_spawnattr_init");
    private static final MemorySegment ATTR_DESTROY = symbol("posix_spawnattr_destroy");
    private static final MemorySegment ATTR_SETFLAGS = symbol("posix_spawnattr_setflags");
    private static final MemorySegment ATTR_SETSIGMASK = symbol("posix_spawnattr_setsigmask");
    private static final MemorySegment ATTR_SETSIGDEFAULT = symbol("posix_spawnattr_setsigdefault");
    private static final MemorySegment POSIX_SPAWN = symbol("posix_spawn");
    private static final MemorySegment PRCTL = symbol("prctl");
    private static final MemorySegment GETPID = symbol("getpid");
    private static final MemorySegment GETPPID = symbol("getppid");
    private static final MemorySegment GETTID = symbol("gettid");
    private static final MemorySegment WAITPID = symbol("waitpid");
    private static final MemorySegment KILL = symbol("kill");

    // Signals
    private static final MemorySegment SIGEMPTYSET = symbol("sigemptyset");
    private static final MemorySegment SIGFILLSET = symbol("sigfillset");
    private static final MemorySegment SIGADDSET = symbol("sigaddset");
    private static final MemorySegment PTHREAD_SIGMASK = symbol("pthread_sigmask");
    private static final MemorySegment PTHREAD_SELF = symbol("pthread_self");
    private static final MemorySegment PTHREAD_KILL = symbol("pthread_kill");
    private static final MemorySegment SIGTIMEDWAIT = symbol("sigtimedwait");
    private static final MemorySegment SIGRTMIN = symbol("__libc_current_sigrtmin");

    public int memfd_create(String name, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(MEMFD_CREATE, a.allocateFrom(name).address(), flags);
        }
    }

    public int fcntl(int fd, int cmd, int arg) {
        return (int) call(FCNTL, fd, cmd, arg);
    }

    public int ftruncate(int fd, long length) {
        return (int) call(FTRUNCATE, fd, length);
    }

    public int close(int fd) {
        return (int) call(CLOSE, fd);
    }

    public long read(int fd, MemorySegment buf, long count) {
        try {
            return read(fd, buf.address(), count);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    public long read(int fd, long buf, long count) {
        return (long) call(READ, fd, buf, count);
    }

    public long write(int fd, MemorySegment buf, long count) {
        try {
            return write(fd, buf.address(), count);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    public long write(int fd, long buf, long count) {
        return (long) call(WRITE, fd, buf, count);
    }

    /** Positional and vectored I/O on raw addresses (direct buffers over guest memory: zero copy). */
    public long pread(int fd, long buf, long count, long offset) {
        return (long) call(PREAD, fd, buf, count, offset);
    }

    public long pwrite(int fd, long buf, long count, long offset) {
        return (long) call(PWRITE, fd, buf, count, offset);
    }

    public long readv(int fd, long iov, int iovcnt) {
        return (long) call(READV, fd, iov, iovcnt);
    }

    public long writev(int fd, long iov, int iovcnt) {
        return (long) call(WRITEV, fd, iov, iovcnt);
    }

    public long preadv(int fd, long iov, int iovcnt, long offset) {
        return (long) call(PREADV, fd, iov, iovcnt, offset);
    }

    public long pwritev(int fd, long iov, int iovcnt, long offset) {
        return (long) call(PWRITEV, fd, iov, iovcnt, offset);
    }

    public int fdatasync(int fd) {
        return (int) call(FDATASYNC, fd);
    }

    public int fallocate(int fd, int mode, long offset, long length) {
        return (int) call(FALLOCATE, fd, mode, offset, length);
    }

    public long lseek(int fd, long offset, int whence) {
        return (long) call(LSEEK, fd, offset, whence);
    }

    public int fstat(int fd, MemorySegment stat) {
        try {
            return (int) call(FSTAT, fd, stat.address());
        } finally {
            Reference.reachabilityFence(stat);
        }
    }

    public int open(String path, int flags, int mode) {
        try (Arena a = Arena.ofConfined()) {
            return (int) call(OPEN, a.allocateFrom(path).address(), flags, mode);
        }
    }

    public int dup2(int fd, int newfd) {
        return (int) call(DUP2, fd, newfd);
    }

    public int pipe2(int[] fds, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pair = a.allocate(8);
            int rc = (int) call(PIPE2, pair.address(), flags);
            fds[0] = pair.get(JAVA_INT, 0);
            fds[1] = pair.get(JAVA_INT, 4);
            return rc;
        }
    }

    public int eventfd(int initval, int flags) {
        return (int) call(EVENTFD, initval, flags);
    }

    public int ioctl(int fd, long request, long arg) {
        return (int) call(IOCTL_LONG, fd, request, arg);
    }

    public int ioctl(int fd, long request, MemorySegment arg) {
        try {
            return (int) call(IOCTL_PTR, fd, request, arg.address());
        } finally {
            Reference.reachabilityFence(arg);
        }
    }

    public int poll(MemorySegment fds, long nfds, int timeout) {
        try {
            return (int) call(POLL, fds.address(), nfds, timeout);
        } finally {
            Reference.reachabilityFence(fds);
        }
    }

    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return (long) call(MMAP, addr, length, prot, flags, fd, offset);
    }

    public int munmap(long addr, long length) {
        return (int) call(MUNMAP, addr, length);
    }

    public int mprotect(long addr, long length, int prot) {
        return (int) call(MPROTECT, addr, length, prot);
    }

    public long mremap(long oldAddr, long oldSize, long newSize, int flags) {
        return (long) call(MREMAP, oldAddr, oldSize, newSize, flags);
    }

    public int madvise(long addr, long length, int advice) {
        return (int) call(MADVISE, addr, length, advice);
    }

    public long syscall(long number, long a1, long a2, long a3) {
        return (long) call(SYSCALL, number, a1, a2, a3);
    }

    public long syscall(long number, long a1, long a2, long a3, long a4) {
        return (long) call(SYSCALL, number, a1, a2, a3, a4);
    }

    public int socketpair(int domain, int type, int protocol, int[] fds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pair = a.allocate(8);
            int rc = (int) call(SOCKETPAIR, domain, type, protocol, pair.address());
            fds[0] = pair.get(JAVA_INT, 0);
            fds[1] = pair.get(JAVA_INT, 4);
            return rc;
        }
    }

    public int shutdown(int fd, int how) {
        return (int) call(SHUTDOWN, fd, how);
    }

    public int socket(int domain, int type, int protocol) {
        return (int) call(SOCKET, domain, type, protocol);
    }

    public int bind(int fd, MemorySegment addr, int len) {
        try {
            return (int) call(BIND, fd, addr.address(), len);
        } finally {
            Reference.reachabilityFence(addr);
        }
    }

    public int listen(int fd, int backlog) {
        return (int) call(LISTEN, fd, backlog);
    }

    public int accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        try {
            return (int) call(ACCEPT4, fd, addr.address(), len.address(), flags);
        } finally {
            Reference.reachabilityFence(addr);
            Reference.reachabilityFence(len);
        }
    }

    public int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        try {
            return (int) call(SETSOCKOPT, fd, level, name, value.address(), len);
        } finally {
            Reference.reachabilityFence(value);
        }
    }

    public int connect(int fd, MemorySegment addr, int len) {
        try {
            return (int) call(CONNECT, fd, addr.address(), len);
        } finally {
            Reference.reachabilityFence(addr);
        }
    }

    public long sendmsg(int fd, MemorySegment msg, int flags) {
        try {
            return (long) call(SENDMSG, fd, msg.address(), flags);
        } finally {
            Reference.reachabilityFence(msg);
        }
    }

    public long recvmsg(int fd, MemorySegment msg, int flags) {
        try {
            return (long) call(RECVMSG, fd, msg.address(), flags);
        } finally {
            Reference.reachabilityFence(msg);
        }
    }

    public int tcgetattr(int fd, MemorySegment termios) {
        try {
            return (int) call(TCGETATTR, fd, termios.address());
        } finally {
            Reference.reachabilityFence(termios);
        }
    }

    public int tcsetattr(int fd, int when, MemorySegment termios) {
        try {
            return (int) call(TCSETATTR, fd, when, termios.address());
        } finally {
            Reference.reachabilityFence(termios);
        }
    }

    public void cfmakeraw(MemorySegment termios) {
        try {
            call(CFMAKERAW, termios.address());
        } finally {
            Reference.reachabilityFence(termios);
        }
    }

    public int posix_openpt(int flags) {
        return (int) call(POSIX_OPENPT, flags);
    }

    public int grantpt(int fd) {
        return (int) call(GRANTPT, fd);
    }

    public int unlockpt(int fd) {
        return (int) call(UNLOCKPT, fd);
    }

    public int ptsname_r(int fd, MemorySegment buf, long len) {
        try {
            return (int) call(PTSNAME_R, fd, buf.address(), len);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    public int posix_spawn_file_actions_init(MemorySegment actions) {
        try {
            return (int) call(FA_INIT, actions.address());
        } finally {
            Reference.reachabilityFence(actions);
        }
    }

    public int posix_spawn_file_actions_destroy(MemorySegment actions) {
        try {
            return (int) call(FA_DESTROY, actions.address());
        } finally {
            Reference.reachabilityFence(actions);
        }
    }

    public int posix_spawn_file_actions_adddup2(MemorySegment actions, int fd, int newfd) {
        try {
            return (int) call(FA_ADDDUP2, actions.address(), fd, newfd);
        } finally {
            Reference.reachabilityFence(actions);
        }
    }

    public int posix_spawn_file_actions_addclosefrom_np(MemorySegment actions, int from) {
        try {
            return (int) call(FA_ADDCLOSEFROM, actions.address(), from);
        } finally {
            Reference.reachabilityFence(actions);
        }
    }

    public int posix_spawnattr_init(MemorySegment attr) {
        try {
            return (int) call(ATTR_INIT, attr.address());
        } finally {
            Reference.reachabilityFence(attr);
        }
    }

    public int posix_spawnattr_destroy(MemorySegment attr) {
        try {
            return (int) call(ATTR_DESTROY, attr.address());
        } finally {
            Reference.reachabilityFence(attr);
        }
    }

    public int posix_spawnattr_setflags(MemorySegment attr, short flags) {
        try {
            return (int) call(ATTR_SETFLAGS, attr.address(), flags);
        } finally {
            Reference.reachabilityFence(attr);
        }
    }

    public int posix_spawnattr_setsigmask(MemorySegment attr, MemorySegment sigmask) {
        try {
            return (int) call(ATTR_SETSIGMASK, attr.address(), sigmask.address());
        } finally {
            Reference.reachabilityFence(attr);
            Reference.reachabilityFence(sigmask);
        }
    }

    public int posix_spawnattr_setsigdefault(MemorySegment attr, MemorySegment sigdefault) {
        try {
            return (int) call(ATTR_SETSIGDEFAULT, attr.address(), sigdefault.address());
        } finally {
            Reference.reachabilityFence(attr);
            Reference.reachabilityFence(sigdefault);
        }
    }

    public int posix_spawn(MemorySegment pid, MemorySegment path, MemorySegment actions, MemorySegment attr,
            MemorySegment argv, MemorySegment envp) {
        try {
            return (int) call(POSIX_SPAWN, pid.address(), path.address(), actions.address(), attr.address(), argv.address(), envp.address());
        } finally {
            Reference.reachabilityFence(pid);
            Reference.reachabilityFence(path);
            Reference.reachabilityFence(actions);
            Reference.reachabilityFence(attr);
            Reference.reachabilityFence(argv);
            Reference.reachabilityFence(envp);
        }
    }

    public int prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        return (int) call(PRCTL, option, arg2, arg3, arg4, arg5);
    }

    public int getpid() {
        return (int) call(GETPID);
    }

    public int getppid() {
        return (int) call(GETPPID);
    }

    public int gettid() {
        return (int) call(GETTID);
    }

    public int waitpid(int pid, int[] status, int options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(4);
            int rc = (int) call(WAITPID, pid, s.address(), options);
            status[0] = s.get(JAVA_INT, 0);
            return rc;
        }
    }

    public int kill(int pid, int sig) {
        return (int) call(KILL, pid, sig);
    }

    public int sigemptyset(MemorySegment set) {
        try {
            return (int) call(SIGEMPTYSET, set.address());
        } finally {
            Reference.reachabilityFence(set);
        }
    }

    public int sigfillset(MemorySegment set) {
        try {
            return (int) call(SIGFILLSET, set.address());
        } finally {
            Reference.reachabilityFence(set);
        }
    }

    public int sigaddset(MemorySegment set, int signo) {
        try {
            return (int) call(SIGADDSET, set.address(), signo);
        } finally {
            Reference.reachabilityFence(set);
        }
    }

    public int pthread_sigmask(int how, MemorySegment set, MemorySegment oldset) {
        try {
            return (int) call(PTHREAD_SIGMASK, how, set.address(), oldset.address());
        } finally {
            Reference.reachabilityFence(set);
            Reference.reachabilityFence(oldset);
        }
    }

    public long pthread_self() {
        return (long) call(PTHREAD_SELF);
    }

    public int pthread_kill(long thread, int sig) {
        return (int) call(PTHREAD_KILL, thread, sig);
    }

    public int sigtimedwait(MemorySegment set, MemorySegment info, MemorySegment timeout) {
        try {
            return (int) call(SIGTIMEDWAIT, set.address(), info.address(), timeout.address());
        } finally {
            Reference.reachabilityFence(set);
            Reference.reachabilityFence(info);
            Reference.reachabilityFence(timeout);
        }
    }

    public int __libc_current_sigrtmin() {
        return (int) call(SIGRTMIN);
    }
}

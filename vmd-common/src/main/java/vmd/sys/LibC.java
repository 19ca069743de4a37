package vmd.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C library calls vmd makes, as java.lang.foreign downcalls (no generated classes,
 * so children start from an AOT cache). Addresses are passed as {@code long} where the
 * caller holds a raw address (guest memory, iovec arrays), structures as
 * {@link MemorySegment}s. Every call captures errno into a per-thread slot that
 * {@link Native#errno()} reads. Variadic functions (fcntl, ioctl, open, prctl, syscall)
 * are linked as variadic, so the ABI's vector-register count is right.
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

    private static MethodHandle fn(String name, MemoryLayout ret, MemoryLayout... args) {
        return link(name, ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args), SAVE_ERRNO);
    }

    /** A variadic function whose fixed arguments are the first {@code fixed}. */
    private static MethodHandle variadic(String name, int fixed, MemoryLayout ret, MemoryLayout... args) {
        return link(name, FunctionDescriptor.of(ret, args), SAVE_ERRNO, Linker.Option.firstVariadicArg(fixed));
    }

    private static MethodHandle link(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    private static RuntimeException fail(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static final MemoryLayout I = JAVA_INT, L = JAVA_LONG, P = ADDRESS;

    // Descriptors and files
    private static final MethodHandle MEMFD_CREATE = fn("memfd_create", I, P, I);
    private static final MethodHandle FCNTL = variadic("fcntl", 2, I, I, I, I);
    private static final MethodHandle FTRUNCATE = fn("ftruncate", I, I, L);
    private static final MethodHandle CLOSE = fn("close", I, I);
    private static final MethodHandle READ = fn("read", L, I, L, L);
    private static final MethodHandle WRITE = fn("write", L, I, L, L);
    private static final MethodHandle PREAD = fn("pread", L, I, L, L, L);
    private static final MethodHandle PWRITE = fn("pwrite", L, I, L, L, L);
    private static final MethodHandle READV = fn("readv", L, I, L, I);
    private static final MethodHandle WRITEV = fn("writev", L, I, L, I);
    private static final MethodHandle FDATASYNC = fn("fdatasync", I, I);
    private static final MethodHandle FALLOCATE = fn("fallocate", I, I, I, L, L);
    private static final MethodHandle LSEEK = fn("lseek", L, I, L, I);
    private static final MethodHandle FSTAT = fn("fstat", I, I, P);
    private static final MethodHandle OPEN = variadic("open", 2, I, P, I, I);
    private static final MethodHandle DUP2 = fn("dup2", I, I, I);
    private static final MethodHandle PIPE2 = fn("pipe2", I, P, I);
    private static final MethodHandle EVENTFD = fn("eventfd", I, I, I);
    private static final MethodHandle IOCTL_LONG = variadic("ioctl", 2, I, I, L, L);
    private static final MethodHandle IOCTL_PTR = variadic("ioctl", 2, I, I, L, P);
    private static final MethodHandle POLL = fn("poll", I, P, L, I);

    // Memory
    private static final MethodHandle MMAP = fn("mmap", L, L, L, I, I, I, L);
    private static final MethodHandle MUNMAP = fn("munmap", I, L, L);
    private static final MethodHandle MPROTECT = fn("mprotect", I, L, L, I);
    private static final MethodHandle MREMAP = fn("mremap", L, L, L, L, I);
    private static final MethodHandle MADVISE = fn("madvise", I, L, L, I);
    private static final MethodHandle SYSCALL = variadic("syscall", 1, L, L, L, L, L);

    // Sockets
    private static final MethodHandle SOCKETPAIR = fn("socketpair", I, I, I, I, P);
    private static final MethodHandle SHUTDOWN = fn("shutdown", I, I, I);
    private static final MethodHandle SOCKET = fn("socket", I, I, I, I);
    private static final MethodHandle BIND = fn("bind", I, I, P, I);
    private static final MethodHandle LISTEN = fn("listen", I, I, I);
    private static final MethodHandle ACCEPT4 = fn("accept4", I, I, P, P, I);
    private static final MethodHandle CONNECT = fn("connect", I, I, P, I);
    private static final MethodHandle SENDMSG = fn("sendmsg", L, I, P, I);
    private static final MethodHandle RECVMSG = fn("recvmsg", L, I, P, I);

    // Terminals
    private static final MethodHandle TCGETATTR = fn("tcgetattr", I, I, P);
    private static final MethodHandle TCSETATTR = fn("tcsetattr", I, I, I, P);
    private static final MethodHandle CFMAKERAW = fn("cfmakeraw", null, P);
    private static final MethodHandle POSIX_OPENPT = fn("posix_openpt", I, I);
    private static final MethodHandle GRANTPT = fn("grantpt", I, I);
    private static final MethodHandle UNLOCKPT = fn("unlockpt", I, I);
    private static final MethodHandle PTSNAME_R = fn("ptsname_r", I, I, P, L);

    // Processes
    private static final MethodHandle FA_INIT = fn("posix_spawn_file_actions_init", I, P);
    private static final MethodHandle FA_DESTROY = fn("posix_spawn_file_actions_destroy", I, P);
    private static final MethodHandle FA_ADDDUP2 = fn("posix_spawn_file_actions_adddup2", I, P, I, I);
    private static final MethodHandle FA_ADDCLOSEFROM = fn("posix_spawn_file_actions_addclosefrom_np", I, P, I);
    private static final MethodHandle ATTR_INIT = fn("posix_spawnattr_init", I, P);
    private static final MethodHandle ATTR_DESTROY = fn("posix_spawnattr_destroy", I, P);
    private static final MethodHandle ATTR_SETFLAGS = fn("posix_spawnattr_setflags", I, P, JAVA_SHORT);
    private static final MethodHandle ATTR_SETSIGMASK = fn("posix_spawnattr_setsigmask", I, P, P);
    private static final MethodHandle ATTR_SETSIGDEFAULT = fn("posix_spawnattr_setsigdefault", I, P, P);
    private static final MethodHandle POSIX_SPAWN = fn("posix_spawn", I, P, P, P, P, P, P);
    private static final MethodHandle PRCTL = variadic("prctl", 1, I, I, L, L, L, L);
    private static final MethodHandle GETPID = fn("getpid", I);
    private static final MethodHandle GETPPID = fn("getppid", I);
    private static final MethodHandle GETTID = fn("gettid", I);
    private static final MethodHandle WAITPID = fn("waitpid", I, I, P, I);
    private static final MethodHandle KILL = fn("kill", I, I, I);

    // Signals
    private static final MethodHandle SIGEMPTYSET = fn("sigemptyset", I, P);
    private static final MethodHandle SIGFILLSET = fn("sigfillset", I, P);
    private static final MethodHandle SIGADDSET = fn("sigaddset", I, P, I);
    private static final MethodHandle PTHREAD_SIGMASK = fn("pthread_sigmask", I, I, P, P);
    private static final MethodHandle PTHREAD_SELF = fn("pthread_self", L);
    private static final MethodHandle PTHREAD_KILL = fn("pthread_kill", I, L, I);
    private static final MethodHandle SIGTIMEDWAIT = fn("sigtimedwait", I, P, P, P);
    private static final MethodHandle SIGRTMIN = fn("__libc_current_sigrtmin", I);

    public int memfd_create(String name, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) MEMFD_CREATE.invokeExact(state(), a.allocateFrom(name), flags);
        } catch (Throwable t) { throw fail(t); }
    }

    public int fcntl(int fd, int cmd, int arg) {
        try { return (int) FCNTL.invokeExact(state(), fd, cmd, arg); } catch (Throwable t) { throw fail(t); }
    }

    public int ftruncate(int fd, long length) {
        try { return (int) FTRUNCATE.invokeExact(state(), fd, length); } catch (Throwable t) { throw fail(t); }
    }

    public int close(int fd) {
        try { return (int) CLOSE.invokeExact(state(), fd); } catch (Throwable t) { throw fail(t); }
    }

    public long read(int fd, MemorySegment buf, long count) {
        return read(fd, buf.address(), count);
    }

    public long read(int fd, long buf, long count) {
        try { return (long) READ.invokeExact(state(), fd, buf, count); } catch (Throwable t) { throw fail(t); }
    }

    public long write(int fd, MemorySegment buf, long count) {
        return write(fd, buf.address(), count);
    }

    public long write(int fd, long buf, long count) {
        try { return (long) WRITE.invokeExact(state(), fd, buf, count); } catch (Throwable t) { throw fail(t); }
    }

    /** Positional and vectored I/O on raw addresses (direct buffers over guest memory: zero copy). */
    public long pread(int fd, long buf, long count, long offset) {
        try { return (long) PREAD.invokeExact(state(), fd, buf, count, offset); } catch (Throwable t) { throw fail(t); }
    }

    public long pwrite(int fd, long buf, long count, long offset) {
        try { return (long) PWRITE.invokeExact(state(), fd, buf, count, offset); } catch (Throwable t) { throw fail(t); }
    }

    public long readv(int fd, long iov, int iovcnt) {
        try { return (long) READV.invokeExact(state(), fd, iov, iovcnt); } catch (Throwable t) { throw fail(t); }
    }

    public long writev(int fd, long iov, int iovcnt) {
        try { return (long) WRITEV.invokeExact(state(), fd, iov, iovcnt); } catch (Throwable t) { throw fail(t); }
    }

    public int fdatasync(int fd) {
        try { return (int) FDATASYNC.invokeExact(state(), fd); } catch (Throwable t) { throw fail(t); }
    }

    public int fallocate(int fd, int mode, long offset, long length) {
        try { return (int) FALLOCATE.invokeExact(state(), fd, mode, offset, length); } catch (Throwable t) { throw fail(t); }
    }

    public long lseek(int fd, long offset, int whence) {
        try { return (long) LSEEK.invokeExact(state(), fd, offset, whence); } catch (Throwable t) { throw fail(t); }
    }

    public int fstat(int fd, MemorySegment stat) {
        try { return (int) FSTAT.invokeExact(state(), fd, stat); } catch (Throwable t) { throw fail(t); }
    }

    public int open(String path, int flags, int mode) {
        try (Arena a = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(state(), a.allocateFrom(path), flags, mode);
        } catch (Throwable t) { throw fail(t); }
    }

    public int dup2(int fd, int newfd) {
        try { return (int) DUP2.invokeExact(state(), fd, newfd); } catch (Throwable t) { throw fail(t); }
    }

    public int pipe2(int[] fds, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pair = a.allocate(8);
            int rc = (int) PIPE2.invokeExact(state(), pair, flags);
            fds[0] = pair.get(JAVA_INT, 0);
            fds[1] = pair.get(JAVA_INT, 4);
            return rc;
        } catch (Throwable t) { throw fail(t); }
    }

    public int eventfd(int initval, int flags) {
        try { return (int) EVENTFD.invokeExact(state(), initval, flags); } catch (Throwable t) { throw fail(t); }
    }

    public int ioctl(int fd, long request, long arg) {
        try { return (int) IOCTL_LONG.invokeExact(state(), fd, request, arg); } catch (Throwable t) { throw fail(t); }
    }

    public int ioctl(int fd, long request, MemorySegment arg) {
        try { return (int) IOCTL_PTR.invokeExact(state(), fd, request, arg); } catch (Throwable t) { throw fail(t); }
    }

    public int poll(MemorySegment fds, long nfds, int timeout) {
        try { return (int) POLL.invokeExact(state(), fds, nfds, timeout); } catch (Throwable t) { throw fail(t); }
    }

    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        try { return (long) MMAP.invokeExact(state(), addr, length, prot, flags, fd, offset); } catch (Throwable t) { throw fail(t); }
    }

    public int munmap(long addr, long length) {
        try { return (int) MUNMAP.invokeExact(state(), addr, length); } catch (Throwable t) { throw fail(t); }
    }

    public int mprotect(long addr, long length, int prot) {
        try { return (int) MPROTECT.invokeExact(state(), addr, length, prot); } catch (Throwable t) { throw fail(t); }
    }

    public long mremap(long oldAddr, long oldSize, long newSize, int flags) {
        try { return (long) MREMAP.invokeExact(state(), oldAddr, oldSize, newSize, flags); } catch (Throwable t) { throw fail(t); }
    }

    public int madvise(long addr, long length, int advice) {
        try { return (int) MADVISE.invokeExact(state(), addr, length, advice); } catch (Throwable t) { throw fail(t); }
    }

    public long syscall(long number, long a1, long a2, long a3) {
        try { return (long) SYSCALL.invokeExact(state(), number, a1, a2, a3); } catch (Throwable t) { throw fail(t); }
    }

    public int socketpair(int domain, int type, int protocol, int[] fds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pair = a.allocate(8);
            int rc = (int) SOCKETPAIR.invokeExact(state(), domain, type, protocol, pair);
            fds[0] = pair.get(JAVA_INT, 0);
            fds[1] = pair.get(JAVA_INT, 4);
            return rc;
        } catch (Throwable t) { throw fail(t); }
    }

    public int shutdown(int fd, int how) {
        try { return (int) SHUTDOWN.invokeExact(state(), fd, how); } catch (Throwable t) { throw fail(t); }
    }

    public int socket(int domain, int type, int protocol) {
        try { return (int) SOCKET.invokeExact(state(), domain, type, protocol); } catch (Throwable t) { throw fail(t); }
    }

    public int bind(int fd, MemorySegment addr, int len) {
        try { return (int) BIND.invokeExact(state(), fd, addr, len); } catch (Throwable t) { throw fail(t); }
    }

    public int listen(int fd, int backlog) {
        try { return (int) LISTEN.invokeExact(state(), fd, backlog); } catch (Throwable t) { throw fail(t); }
    }

    public int accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        try { return (int) ACCEPT4.invokeExact(state(), fd, addr, len, flags); } catch (Throwable t) { throw fail(t); }
    }

    public int connect(int fd, MemorySegment addr, int len) {
        try { return (int) CONNECT.invokeExact(state(), fd, addr, len); } catch (Throwable t) { throw fail(t); }
    }

    public long sendmsg(int fd, MemorySegment msg, int flags) {
        try { return (long) SENDMSG.invokeExact(state(), fd, msg, flags); } catch (Throwable t) { throw fail(t); }
    }

    public long recvmsg(int fd, MemorySegment msg, int flags) {
        try { return (long) RECVMSG.invokeExact(state(), fd, msg, flags); } catch (Throwable t) { throw fail(t); }
    }

    public int tcgetattr(int fd, MemorySegment termios) {
        try { return (int) TCGETATTR.invokeExact(state(), fd, termios); } catch (Throwable t) { throw fail(t); }
    }

    public int tcsetattr(int fd, int when, MemorySegment termios) {
        try { return (int) TCSETATTR.invokeExact(state(), fd, when, termios); } catch (Throwable t) { throw fail(t); }
    }

    public void cfmakeraw(MemorySegment termios) {
        try { CFMAKERAW.invokeExact(state(), termios); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_openpt(int flags) {
        try { return (int) POSIX_OPENPT.invokeExact(state(), flags); } catch (Throwable t) { throw fail(t); }
    }

    public int grantpt(int fd) {
        try { return (int) GRANTPT.invokeExact(state(), fd); } catch (Throwable t) { throw fail(t); }
    }

    public int unlockpt(int fd) {
        try { return (int) UNLOCKPT.invokeExact(state(), fd); } catch (Throwable t) { throw fail(t); }
    }

    public int ptsname_r(int fd, MemorySegment buf, long len) {
        try { return (int) PTSNAME_R.invokeExact(state(), fd, buf, len); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawn_file_actions_init(MemorySegment actions) {
        try { return (int) FA_INIT.invokeExact(state(), actions); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawn_file_actions_destroy(MemorySegment actions) {
        try { return (int) FA_DESTROY.invokeExact(state(), actions); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawn_file_actions_adddup2(MemorySegment actions, int fd, int newfd) {
        try { return (int) FA_ADDDUP2.invokeExact(state(), actions, fd, newfd); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawn_file_actions_addclosefrom_np(MemorySegment actions, int from) {
        try { return (int) FA_ADDCLOSEFROM.invokeExact(state(), actions, from); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawnattr_init(MemorySegment attr) {
        try { return (int) ATTR_INIT.invokeExact(state(), attr); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawnattr_destroy(MemorySegment attr) {
        try { return (int) ATTR_DESTROY.invokeExact(state(), attr); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawnattr_setflags(MemorySegment attr, short flags) {
        try { return (int) ATTR_SETFLAGS.invokeExact(state(), attr, flags); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawnattr_setsigmask(MemorySegment attr, MemorySegment sigmask) {
        try { return (int) ATTR_SETSIGMASK.invokeExact(state(), attr, sigmask); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawnattr_setsigdefault(MemorySegment attr, MemorySegment sigdefault) {
        try { return (int) ATTR_SETSIGDEFAULT.invokeExact(state(), attr, sigdefault); } catch (Throwable t) { throw fail(t); }
    }

    public int posix_spawn(MemorySegment pid, MemorySegment path, MemorySegment actions, MemorySegment attr,
            MemorySegment argv, MemorySegment envp) {
        try { return (int) POSIX_SPAWN.invokeExact(state(), pid, path, actions, attr, argv, envp); } catch (Throwable t) { throw fail(t); }
    }

    public int prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        try { return (int) PRCTL.invokeExact(state(), option, arg2, arg3, arg4, arg5); } catch (Throwable t) { throw fail(t); }
    }

    public int getpid() {
        try { return (int) GETPID.invokeExact(state()); } catch (Throwable t) { throw fail(t); }
    }

    public int getppid() {
        try { return (int) GETPPID.invokeExact(state()); } catch (Throwable t) { throw fail(t); }
    }

    public int gettid() {
        try { return (int) GETTID.invokeExact(state()); } catch (Throwable t) { throw fail(t); }
    }

    public int waitpid(int pid, int[] status, int options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(4);
            int rc = (int) WAITPID.invokeExact(state(), pid, s, options);
            status[0] = s.get(JAVA_INT, 0);
            return rc;
        } catch (Throwable t) { throw fail(t); }
    }

    public int kill(int pid, int sig) {
        try { return (int) KILL.invokeExact(state(), pid, sig); } catch (Throwable t) { throw fail(t); }
    }

    public int sigemptyset(MemorySegment set) {
        try { return (int) SIGEMPTYSET.invokeExact(state(), set); } catch (Throwable t) { throw fail(t); }
    }

    public int sigfillset(MemorySegment set) {
        try { return (int) SIGFILLSET.invokeExact(state(), set); } catch (Throwable t) { throw fail(t); }
    }

    public int sigaddset(MemorySegment set, int signo) {
        try { return (int) SIGADDSET.invokeExact(state(), set, signo); } catch (Throwable t) { throw fail(t); }
    }

    public int pthread_sigmask(int how, MemorySegment set, MemorySegment oldset) {
        try { return (int) PTHREAD_SIGMASK.invokeExact(state(), how, set, oldset); } catch (Throwable t) { throw fail(t); }
    }

    public long pthread_self() {
        try { return (long) PTHREAD_SELF.invokeExact(state()); } catch (Throwable t) { throw fail(t); }
    }

    public int pthread_kill(long thread, int sig) {
        try { return (int) PTHREAD_KILL.invokeExact(state(), thread, sig); } catch (Throwable t) { throw fail(t); }
    }

    public int sigtimedwait(MemorySegment set, MemorySegment info, MemorySegment timeout) {
        try { return (int) SIGTIMEDWAIT.invokeExact(state(), set, info, timeout); } catch (Throwable t) { throw fail(t); }
    }

    public int __libc_current_sigrtmin() {
        try { return (int) SIGRTMIN.invokeExact(state()); } catch (Throwable t) { throw fail(t); }
    }
}

package vmd.sys;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;

/**
 * The C library calls vmd makes through jnr-ffi. Addresses are passed as {@code long};
 * structures as {@link Pointer}s to native memory. Every call saves errno.
 * Load it only through {@link Native}, which sets the flags jnr-ffi needs first.
 */
@SaveError
public interface LibC {
    int memfd_create(String name, int flags);
    int fcntl(int fd, int cmd, int arg);
    int ftruncate(int fd, long length);
    int close(int fd);
    long read(int fd, Pointer buf, long count);
    long write(int fd, Pointer buf, long count);
    long pread(int fd, Pointer buf, long count, long offset);
    /** Positional and vectored I/O on raw addresses (direct buffers over guest memory: zero copy). */
    long pread(int fd, long buf, long count, long offset);
    long pwrite(int fd, long buf, long count, long offset);
    long readv(int fd, long iov, int iovcnt);
    long writev(int fd, long iov, int iovcnt);
    int fdatasync(int fd);
    int fallocate(int fd, int mode, long offset, long length);
    long lseek(int fd, long offset, int whence);

    long mmap(long addr, long length, int prot, int flags, int fd, long offset);
    int munmap(long addr, long length);
    int mprotect(long addr, long length, int prot);
    long mremap(long oldAddr, long oldSize, long newSize, int flags);
    int madvise(long addr, long length, int advice);
    long syscall(long number, long a1, long a2, long a3);

    int eventfd(int initval, int flags);
    int ioctl(int fd, long request, long arg);
    int ioctl(int fd, long request, Pointer arg);
    int socketpair(int domain, int type, int protocol, int[] fds);
    int shutdown(int fd, int how);
    int socket(int domain, int type, int protocol);
    int bind(int fd, Pointer addr, int len);
    int listen(int fd, int backlog);
    int accept4(int fd, Pointer addr, Pointer len, int flags);
    int connect(int fd, Pointer addr, int len);
    int pipe2(int[] fds, int flags);
    int poll(Pointer fds, long nfds, int timeout);
    int tcgetattr(int fd, Pointer termios);
    int tcsetattr(int fd, int when, Pointer termios);
    void cfmakeraw(Pointer termios);

    int posix_spawn_file_actions_init(Pointer actions);
    int posix_spawn_file_actions_destroy(Pointer actions);
    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);
    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);
    int posix_spawnattr_init(Pointer attr);
    int posix_spawnattr_destroy(Pointer attr);
    int posix_spawnattr_setflags(Pointer attr, short flags);
    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);
    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigdefault);
    int posix_spawn(IntByReference pid, String path, Pointer actions, Pointer attr, Pointer argv, Pointer envp);

    int sigemptyset(Pointer set);
    int sigfillset(Pointer set);
    int sigaddset(Pointer set, int signo);
    int sigdelset(Pointer set, int signo);
    int pthread_sigmask(int how, Pointer set, Pointer oldset);
    long pthread_self();
    int pthread_kill(long thread, int sig);
    int sigtimedwait(Pointer set, Pointer info, Pointer timeout);
    int __libc_current_sigrtmin();

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);
    int getpid();
    int getppid();
    int gettid();
    int waitpid(int pid, int[] status, int options);
    int kill(int pid, int sig);
    int open(String path, int flags, int mode);
    int posix_openpt(int flags);
    int grantpt(int fd);
    int unlockpt(int fd);
    int ptsname_r(int fd, Pointer buf, long len);
}

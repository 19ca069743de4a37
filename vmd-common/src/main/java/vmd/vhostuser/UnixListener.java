package vmd.vhostuser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.lang.foreign.MemorySegment;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.NativeException;

/**
 * A listening AF_UNIX stream socket at a path, for back-ends started with
 * {@code --socket-path} (vmd's own processes get a socketpair end instead). Raw
 * socket/bind/listen/accept4 from vmd.sys.LibC: jnr-unixsocket is not a dependency of
 * vmd-common and has no SCM_RIGHTS API anyway.
 */
public final class UnixListener implements AutoCloseable {
    private static final int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
    private static final int SUN_PATH_MAX = 108, SOCKADDR_UN_SIZE = 110;
    private static final int EINTR = 4;

    private final int fd;
    private final Path path;

    private UnixListener(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Binds and listens at {@code path}. A stale socket file there is removed first;
     * any other existing file is an error.
     */
    public static UnixListener listen(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) throw new IOException("socket path too long (" + name.length + " bytes): " + path);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
                    && !Files.isSymbolicLink(path)) {
                Files.delete(path);
            } else {
                throw new IOException("exists and is not a socket: " + path);
            }
        }
        // Bound under a temporary name and renamed once listening: a front-end that waits
        // for the path to appear never finds a socket that refuses it.
        Path staging = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
        byte[] stagingName = staging.toString().getBytes(StandardCharsets.UTF_8);
        if (stagingName.length >= SUN_PATH_MAX) staging = null;
        int fd = Native.libc().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new IOException(new NativeException("socket", Native.errno()).getMessage());
        try {
            if (staging != null) Files.deleteIfExists(staging);
            if (Native.libc().bind(fd, sockaddr(staging != null ? stagingName : name), SOCKADDR_UN_SIZE) < 0) {
                throw new IOException(new NativeException("bind " + path, Native.errno()).getMessage());
            }
            if (Native.libc().listen(fd, 1) < 0) throw new IOException(new NativeException("listen", Native.errno()).getMessage());
            if (staging != null) Files.move(staging, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Fds.closeQuietly(fd);
            if (staging != null) Files.deleteIfExists(staging);
            throw e;
        }
        return new UnixListener(fd, path);
    }

    /**
     * As {@link #connect(Path)}, retrying for up to {@code patienceMillis} while the socket
     * is not there or not yet listening: a back-end program (qemu-storage-daemon) may
     * create its socket file before it calls listen(2).
     */
    public static int connect(Path path, long patienceMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + patienceMillis * 1_000_000;
        while (true) {
            try {
                return connect(path);
            } catch (IOException e) {
                boolean notYet = e.getMessage().contains("ECONNREFUSED") || e.getMessage().contains("ENOENT");
                if (!notYet || System.nanoTime() > deadline) throw e;
                Thread.sleep(10);
            }
        }
    }

    /**
     * Connects to a listening socket at {@code path} (a front-end reaching a back-end
     * started with --socket-path, e.g. qemu-storage-daemon); returns the connected,
     * close-on-exec socket.
     */
    public static int connect(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) throw new IOException("socket path too long (" + name.length + " bytes): " + path);
        int fd = Native.libc().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new IOException(new NativeException("socket", Native.errno()).getMessage());
        while (Native.libc().connect(fd, sockaddr(name), SOCKADDR_UN_SIZE) < 0) {
            int errno = Native.errno();
            if (errno == EINTR) continue;
            Fds.closeQuietly(fd);
            throw new IOException(new NativeException("connect " + path, errno).getMessage());
        }
        return fd;
    }

    private static MemorySegment sockaddr(byte[] name) {
        MemorySegment addr = Native.allocate(SOCKADDR_UN_SIZE);
        addr.set(Native.U16, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, addr, Native.U8, 2, name.length);
        return addr;
    }

    public int fd() {
        return fd;
    }

    public Path path() {
        return path;
    }

    /** Waits for a front-end to connect; returns the connected (close-on-exec) socket. */
    public int accept() throws IOException {
        while (true) {
            int c = Native.libc().accept4(fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
            if (c >= 0) return c;
            int errno = Native.errno();
            if (errno != EINTR) throw new IOException(new NativeException("accept4", errno).getMessage());
        }
    }

    /** Closes the socket (waking a thread blocked in {@link #accept}) and removes its path. */
    @Override
    public void close() {
        vmd.sys.UnixSockets.shutdownQuietly(fd); // close alone does not wake accept() on Linux
        Fds.closeQuietly(fd);
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }
}

package vmd.sys;

import static vmd.sys.Native.libc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 TCP sockets as plain descriptors, for what must travel over SCM_RIGHTS: vmctl's
 * live-migration connection, which the vm process then reads or writes itself, and the
 * metrics endpoint's listening socket.
 */
public final class TcpSockets {
    private static final int AF_INET = 2, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1, SO_REUSEADDR = 2, IPPROTO_TCP = 6, TCP_NODELAY = 1;

    private TcpSockets() {}

    /** "a.b.c.d:port" (or "host:port" resolving to IPv4) as a struct sockaddr_in. */
    static MemorySegment address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("address " + hostPort + " is not host:port");
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + hostPort);
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " out of range");
        InetAddress a;
        try {
            a = InetAddress.getByName(hostPort.substring(0, colon));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host in " + hostPort);
        }
        if (!(a instanceof Inet4Address)) throw new IllegalArgumentException(hostPort + " is not an IPv4 address");
        MemorySegment sa = Native.allocate(16);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        sa.set(ValueLayout.JAVA_BYTE, 2, (byte) (port >>> 8));
        sa.set(ValueLayout.JAVA_BYTE, 3, (byte) port);
        byte[] ip = a.getAddress();
        for (int i = 0; i < 4; i++) sa.set(ValueLayout.JAVA_BYTE, 4 + i, ip[i]);
        return sa;
    }

    /** A connected socket to {@code hostPort}. */
    public static int connect(String hostPort) {
        MemorySegment sa = address(hostPort);
        int fd = Native.check("socket", libc().socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (libc().connect(fd, sa, 16) < 0) {
            int errno = Native.errno();
            Fds.closeQuietly(fd);
            throw new NativeException("connect " + hostPort, errno);
        }
        noDelay(fd);
        return fd;
    }

    /** Listens on {@code hostPort}, waits for one connection, and returns it (the listener is closed). */
    public static int acceptOne(String hostPort) {
        int listener = listen(hostPort, 1);
        try {
            MemorySegment peer = Native.allocate(16);
            MemorySegment len = Native.allocate(4);
            len.set(ValueLayout.JAVA_INT, 0, 16);
            int fd;
            do {
                fd = libc().accept4(listener, peer, len, SOCK_CLOEXEC);
            } while (fd < 0 && Native.errno() == 4);
            if (fd < 0) throw new NativeException("accept " + hostPort, Native.errno());
            noDelay(fd);
            return fd;
        } finally {
            Fds.closeQuietly(listener);
        }
    }

    /**
     * A listening socket on {@code hostPort} (SO_REUSEADDR, so a restarted daemon binds its
     * port again at once), for a process that may not bind one itself: the metrics endpoint
     * the parent hands to the control process.
     */
    public static int listen(String hostPort, int backlog) {
        MemorySegment sa = address(hostPort);
        int listener = Native.check("socket", libc().socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        try {
            MemorySegment one = Native.allocate(4);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            libc().setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, one, 4);
            if (libc().bind(listener, sa, 16) < 0) throw new NativeException("bind " + hostPort, Native.errno());
            if (libc().listen(listener, backlog) < 0) throw new NativeException("listen " + hostPort, Native.errno());
            return listener;
        } catch (RuntimeException e) {
            Fds.closeQuietly(listener);
            throw e;
        }
    }

    private static void noDelay(int fd) {
        MemorySegment one = Native.allocate(4);
        one.set(ValueLayout.JAVA_INT, 0, 1);
        libc().setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4);
    }
}

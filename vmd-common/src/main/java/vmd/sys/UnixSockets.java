package vmd.sys;

import static vmd.sys.Native.check;
import static vmd.sys.Native.libc;

import static vmd.sys.Native.U32;
import static vmd.sys.Native.U64;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Unix-domain socket pairs and descriptor passing with SCM_RIGHTS (several fds per message). */
public final class UnixSockets {
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000, MSG_NOSIGNAL = 0x4000;
    /** The most descriptors one message may carry (vhost-user SET_MEM_TABLE needs 8). */
    public static final int MAX_FDS = 32;

    private UnixSockets() {}

    /** A connected pair of close-on-exec stream sockets. */
    public static int[] streamPair() {
        return pair(SOCK_STREAM);
    }

    public static int[] pair(int type) {
        int[] fds = new int[2];
        check("socketpair", libc().socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds));
        return fds;
    }

    /** Shuts both directions of a socket down, waking any thread blocked on it; errors ignored. */
    public static void shutdownQuietly(int sock) {
        libc().shutdown(sock, SHUT_RDWR);
    }

    private static final int SHUT_RDWR = 2;

    /** A received message: how many bytes landed in the buffer, and the descriptors that came with them. */
    public record Received(int bytes, int[] fds) {
        public boolean eof() {
            return bytes == 0 && fds.length == 0;
        }
    }

    // struct msghdr and struct cmsghdr on x86-64 (DESIGN.md section 8).
    private static final int MSGHDR_SIZE = 56, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32, MSG_CONTROLLEN = 40,
            MSG_FLAGS = 48;
    private static final int MSG_CTRUNC = 0x8, EMSGSIZE = 90;
    private static final int CMSG_HDR = 16, CMSG_LEVEL = 8, CMSG_TYPE = 12;

    /**
     * Sends the remaining bytes of {@code data} (moving its position) with {@code fds}
     * attached to the first byte. Returns the number of bytes sent, which for a stream
     * socket may be fewer than asked; the descriptors go with the first call only.
     */
    public static int send(int sock, ByteBuffer data, int... fds) {
        if (fds.length > MAX_FDS) throw new IllegalArgumentException("too many descriptors: " + fds.length);
        try (Arena arena = Arena.ofConfined()) {
            int len = data.remaining();
            MemorySegment payload;
            if (data.isDirect()) {
                payload = MemorySegment.ofAddress(Native.address(data) + data.position()).reinterpret(len);
            } else {
                payload = arena.allocate(Math.max(1, len));
                MemorySegment.copy(MemorySegment.ofBuffer(data), 0, payload, 0, len);
            }
            MemorySegment control = MemorySegment.NULL;
            if (fds.length > 0) {
                control = arena.allocate(CMSG_HDR + align8(fds.length * 4L), 8);
                control.set(U64, 0, CMSG_HDR + fds.length * 4L);
                control.set(U32, CMSG_LEVEL, SOL_SOCKET);
                control.set(U32, CMSG_TYPE, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) control.set(U32, CMSG_HDR + 4L * i, fds[i]);
            }
            MemorySegment msg = message(arena, payload, len, control);
            long n = libc().sendmsg(sock, msg, MSG_NOSIGNAL);
            if (n < 0) throw new NativeException("sendmsg", Native.errno());
            data.position(data.position() + (int) n);
            return (int) n;
        }
    }

    /** A struct msghdr with one iovec over {@code length} bytes at {@code data}, and {@code control} (or none). */
    private static MemorySegment message(Arena arena, MemorySegment data, long length, MemorySegment control) {
        MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
        MemorySegment iov = arena.allocate(16, 8);
        iov.set(U64, 0, data.address());
        iov.set(U64, 8, length);
        msg.set(U64, MSG_IOV, iov.address());
        msg.set(U64, MSG_IOVLEN, 1);
        msg.set(U64, MSG_CONTROL, control.address());
        msg.set(U64, MSG_CONTROLLEN, control.byteSize());
        return msg;
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    /** Sends all remaining bytes, the descriptors with the first byte. */
    public static void sendFully(int sock, ByteBuffer data, int... fds) {
        send(sock, data, fds);
        while (data.hasRemaining()) send(sock, data);
    }

    /**
     * Receives into {@code into} at its position (moving it). Received descriptors are
     * close-on-exec. Zero bytes and no descriptors means the peer closed.
     */
    public static Received receive(int sock, ByteBuffer into) {
        try (Arena arena = Arena.ofConfined()) {
            int room = into.remaining();
            MemorySegment window = into.isDirect()
                    ? MemorySegment.ofAddress(Native.address(into) + into.position()).reinterpret(room)
                    : arena.allocate(Math.max(1, room));
            MemorySegment control = arena.allocate(CMSG_HDR + MAX_FDS * 4L, 8);
            MemorySegment msg = message(arena, window, room, control);
            long n = libc().recvmsg(sock, msg, MSG_CMSG_CLOEXEC);
            if (n < 0) throw new NativeException("recvmsg", Native.errno());
            int[] fds = descriptors(control, msg.get(U64, MSG_CONTROLLEN));
            if ((msg.get(U32, MSG_FLAGS) & MSG_CTRUNC) != 0) {
                // More descriptors than we take: the kernel dropped some. Refuse the message whole.
                for (int fd : fds) Fds.closeQuietly(fd);
                throw new NativeException("recvmsg: more than " + MAX_FDS + " descriptors (MSG_CTRUNC)", EMSGSIZE);
            }
            if (into.isDirect()) into.position(into.position() + (int) n);
            else into.put(window.asSlice(0, n).asByteBuffer());
            return new Received((int) n, fds);
        }
    }

    /** The descriptors of every SCM_RIGHTS message in a received control buffer. */
    private static int[] descriptors(MemorySegment control, long length) {
        int[] fds = new int[0];
        long at = 0;
        while (at + CMSG_HDR <= length) {
            long cmsgLen = control.get(U64, at);
            if (cmsgLen < CMSG_HDR || at + cmsgLen > length) break;
            if (control.get(U32, at + CMSG_LEVEL) == SOL_SOCKET && control.get(U32, at + CMSG_TYPE) == SCM_RIGHTS) {
                int count = (int) ((cmsgLen - CMSG_HDR) / 4);
                int[] more = Arrays.copyOf(fds, fds.length + count);
                for (int i = 0; i < count; i++) more[fds.length + i] = control.get(U32, at + CMSG_HDR + 4L * i);
                fds = more;
            }
            at += align8(cmsgLen);
        }
        return fds;
    }
}

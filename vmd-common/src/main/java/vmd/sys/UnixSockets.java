package vmd.sys;

import static vmd.sys.Native.check;
import static vmd.sys.Native.libc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.posix.CmsgHdr;
import jnr.posix.MsgHdr;

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

    /**
     * Sends the remaining bytes of {@code data} (moving its position) with {@code fds}
     * attached to the first byte. Returns the number of bytes sent, which for a stream
     * socket may be fewer than asked; the descriptors go with the first call only.
     */
    public static int send(int sock, ByteBuffer data, int... fds) {
        MsgHdr msg = Native.posix().allocateMsgHdr();
        // jnr-posix hands the iovec to the kernel by address: it must be direct memory.
        ByteBuffer payload = data.isDirect() ? data.slice() : ByteBuffer.allocateDirect(data.remaining()).put(data.duplicate()).flip();
        msg.setIov(new ByteBuffer[] {payload});
        if (fds.length > 0) {
            if (fds.length > MAX_FDS) throw new IllegalArgumentException("too many descriptors: " + fds.length);
            CmsgHdr cmsg = msg.allocateControl(fds.length * 4);
            cmsg.setLevel(SOL_SOCKET);
            cmsg.setType(SCM_RIGHTS);
            ByteBuffer fdBuf = ByteBuffer.allocate(fds.length * 4).order(ByteOrder.nativeOrder());
            for (int fd : fds) fdBuf.putInt(fd);
            fdBuf.flip();
            cmsg.setData(fdBuf);
        }
        int n = Native.posix().sendmsg(sock, msg, MSG_NOSIGNAL);
        if (n < 0) throw new NativeException("sendmsg", Native.posix().errno());
        data.position(data.position() + n);
        return n;
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
        MsgHdr msg = Native.posix().allocateMsgHdr();
        ByteBuffer window = into.isDirect() ? into.slice() : ByteBuffer.allocateDirect(into.remaining());
        msg.setIov(new ByteBuffer[] {window});
        msg.allocateControl(MAX_FDS * 4);
        int n = Native.posix().recvmsg(sock, msg, MSG_CMSG_CLOEXEC);
        if (n < 0) throw new NativeException("recvmsg", Native.posix().errno());
        int[] fds = new int[0];
        for (CmsgHdr c : msg.getControls()) {
            if (c.getLevel() != SOL_SOCKET || c.getType() != SCM_RIGHTS) continue;
            ByteBuffer d = c.getData().order(ByteOrder.nativeOrder());
            int count = d.remaining() / 4;
            int[] more = new int[fds.length + count];
            System.arraycopy(fds, 0, more, 0, fds.length);
            for (int i = 0; i < count; i++) more[fds.length + i] = d.getInt();
            fds = more;
        }
        if (into.isDirect()) into.position(into.position() + n);
        else into.put(window.limit(n));
        return new Received(n, fds);
    }
}

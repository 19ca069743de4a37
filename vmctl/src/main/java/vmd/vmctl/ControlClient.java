package vmd.vmctl;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import vmd.imsg.CtlResult;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgDecoder;
import vmd.imsg.ImsgEncoder;
import vmd.imsg.ImsgPayload;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.ImsgType;

/** vmctl's connection to vmd's control socket: imsg frames over a unix stream socket. */
final class ControlClient implements AutoCloseable {
    /** Default socket; $VMD_SOCKET or {@code vmctl -s} override it. */
    static final String DEFAULT_SOCKET = "/run/vmd.sock";
    static final String ENV_SOCKET = "VMD_SOCKET";

    private final UnixSocketChannel channel;
    private final ImsgDecoder decoder = new ImsgDecoder();
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

    private ControlClient(UnixSocketChannel channel) {
        this.channel = channel;
    }

    static String socketPath(String explicit) {
        if (explicit != null) return explicit;
        String env = System.getenv(ENV_SOCKET);
        return env != null && !env.isEmpty() ? env : DEFAULT_SOCKET;
    }

    static ControlClient connect(String path) {
        try {
            return new ControlClient(UnixSocketChannel.open(new UnixSocketAddress(new File(path))));
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new VmctlException("connect: " + path + ": " + why);
        }
    }

    void send(ImsgType type, ImsgPayload payload) {
        send(Imsg.of(type, payload));
    }

    void send(Imsg msg) {
        ByteBuffer frame = ImsgEncoder.encode(msg);
        try {
            while (frame.hasRemaining()) channel.write(frame);
        } catch (IOException e) {
            throw new VmctlException("write error: " + e.getMessage());
        }
    }

    /**
     * Passes {@code fd} to vmd (one byte with SCM_RIGHTS), for send and receive, after vmd
     * has answered STREAM_FD_READY; before that, vmd would drop it unread.
     */
    void sendDescriptor(int fd) {
        try {
            vmd.sys.UnixSockets.sendFully(channel.getFD(), ByteBuffer.allocateDirect(1), fd);
        } catch (RuntimeException e) {
            throw new VmctlException("sending the descriptor: " + e.getMessage());
        }
    }

    /** The next message; CTL_FAIL becomes "command failed: reason". */
    Imsg receive() {
        while (true) {
            Imsg m;
            try {
                m = decoder.next();
            } catch (ImsgProtocolException e) {
                throw new VmctlException("imsg_get error: " + e.getMessage());
            }
            if (m != null) {
                if (m.type() == ImsgType.CTL_FAIL) {
                    CtlResult r = m.decode(CtlResult::decode);
                    throw new VmctlException("command failed" + (r.message().isEmpty() ? "" : ": " + r.message()));
                }
                return m;
            }
            in.clear();
            int n;
            try {
                n = channel.read(in);
            } catch (IOException e) {
                throw new VmctlException("imsg_read error: " + e.getMessage());
            }
            if (n <= 0) throw new VmctlException("pipe closed");
            decoder.feed(in.flip());
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to report at exit
        }
    }
}

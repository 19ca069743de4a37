package vmd.vmctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOp;
import vmd.imsg.VmOpResult;

/**
 * What send and receive share: the request, vmd's STREAM_FD_READY, this process's
 * stdout or stdin passed over the socket, and the answer. The stream never passes
 * through vmctl or the daemon: the vm process reads or writes the descriptor itself.
 */
final class StreamCommand {
    private StreamCommand() {}

    /** Which way the stream goes: the stdio descriptor, how a live stream connects, the messages. */
    enum Side {
        SEND("send", 1, "standard output", ImsgType.SEND_VM_REQUEST, ImsgType.SEND_VM_RESPONSE),
        RECEIVE("receive", 0, "standard input", ImsgType.RECEIVE_VM_REQUEST, ImsgType.RECEIVE_VM_RESPONSE);

        final String verb;
        final int stdio;
        final String stdioName;
        final ImsgType request, response;

        Side(String verb, int stdio, String stdioName, ImsgType request, ImsgType response) {
            this.verb = verb;
            this.stdio = stdio;
            this.stdioName = stdioName;
            this.request = request;
            this.response = response;
        }
    }

    /**
     * {@code [-l host:port] vm}: the stream on stdio, or with -l on a TCP connection (the
     * sender connects, the receiver waits for it). Returns vmd's successful answer.
     */
    static VmOpResult run(Vmctl ctl, List<String> argv, Side side) {
        List<String> args = new ArrayList<>(argv);
        String live = option(args, "-l");
        oneArgument(args);
        int fd;
        if (live == null) {
            refuseTerminal(side.stdio, side.stdioName);
            fd = side.stdio;
        } else {
            fd = side == Side.SEND ? connect(live) : accept(live);
        }
        try {
            int flags = live != null && side == Side.SEND ? VmOp.LIVE : 0;
            VmOpResult r = run(ctl, args.get(0), side.request, side.response, fd, flags);
            if (r.code() != 0) throw new VmctlException(side.verb + " vm command failed: " + VmOpCommand.strerror(r));
            return r;
        } finally {
            if (live != null) vmd.sys.Fds.closeQuietly(fd);
        }
    }

    static VmOpResult run(Vmctl ctl, String vm, ImsgType request, ImsgType response, int stdioFd, int flags) {
        try (ControlClient c = ctl.connect()) {
            c.send(request, VmOp.of(VmOpCommand.vmid(vm), flags));
            Imsg ready = c.receive();
            if (ready.type() == response) return ready.decode(VmOpResult::decode); // refused before the stream
            if (ready.type() != ImsgType.STREAM_FD_READY) throw new VmctlException("unexpected response received from vmd");
            c.sendDescriptor(stdioFd);
            return VmOpCommand.expect(c, response);
        }
    }

    /** A terminal is no place for a snapshot, nor a source of one. */
    static void refuseTerminal(int fd, String what) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            if (target.startsWith("/dev/pts/") || target.startsWith("/dev/tty")) {
                throw new VmctlException(what + " is a terminal; redirect it to a file");
            }
        } catch (IOException e) {
            throw new VmctlException(what + ": " + e.getMessage());
        }
    }

    /** Removes {@code flag VALUE} from {@code args} and returns VALUE, or null if absent. */
    static String option(List<String> args, String flag) {
        int i = args.indexOf(flag);
        if (i < 0) return null;
        if (i + 1 >= args.size()) throw new UsageException("");
        String v = args.get(i + 1);
        args.remove(i + 1);
        args.remove(i);
        return v;
    }

    /** The migration connection to the destination's {@code vmctl receive -l}. */
    static int connect(String hostPort) {
        try {
            return vmd.sys.TcpSockets.connect(hostPort);
        } catch (RuntimeException e) {
            throw new VmctlException(e.getMessage());
        }
    }

    /** Waits for the source's {@code vmctl send -l} on {@code hostPort}. */
    static int accept(String hostPort) {
        try {
            return vmd.sys.TcpSockets.acceptOne(hostPort);
        } catch (RuntimeException e) {
            throw new VmctlException(e.getMessage());
        }
    }

    static void oneArgument(List<String> argv) {
        if (argv.size() != 1) throw new UsageException("");
    }
}

package vmd.vmctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    static VmOpResult run(Vmctl ctl, String vm, ImsgType request, ImsgType response, int stdioFd) {
        try (ControlClient c = ctl.connect()) {
            c.send(request, VmOp.of(VmOpCommand.vmid(vm), 0));
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

    static void oneArgument(List<String> argv) {
        if (argv.size() != 1) throw new UsageException("");
    }
}

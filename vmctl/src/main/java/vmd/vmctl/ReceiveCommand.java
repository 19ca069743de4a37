package vmd.vmctl;

import java.util.ArrayList;
import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOpResult;

/**
 * {@code vmctl receive name < file}: starts the configured VM {@code name} from a
 * snapshot on stdin; its guest goes on where the sent one stopped. With
 * {@code -l host:port} it waits there for one {@code vmctl send -l} (a live migration).
 */
class ReceiveCommand implements Command {
    @Override
    public String name() {
        return "receive";
    }

    @Override
    public String usage() {
        return "[-l host:port] name";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        List<String> args = new ArrayList<>(argv);
        String live = StreamCommand.option(args, "-l");
        StreamCommand.oneArgument(args);
        int fd;
        if (live == null) {
            StreamCommand.refuseTerminal(0, "standard input");
            fd = 0;
        } else {
            fd = StreamCommand.accept(live);
        }
        try {
            VmOpResult r = StreamCommand.run(ctl, args.get(0), ImsgType.RECEIVE_VM_REQUEST, ImsgType.RECEIVE_VM_RESPONSE, fd, 0);
            if (r.code() != 0) throw new VmctlException("receive vm command failed: " + VmOpCommand.strerror(r));
            ctl.warn("received vm " + r.id() + " successfully, tty " + r.tty());
            return 0;
        } finally {
            if (live != null) vmd.sys.Fds.closeQuietly(fd);
        }
    }
}

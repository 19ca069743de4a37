package vmd.vmctl;

import java.util.ArrayList;
import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOp;
import vmd.imsg.VmOpResult;

/**
 * {@code vmctl send id > file}: the VM's whole state to stdout; the VM stops once it is
 * written. {@code vmctl send -l host:port id}: a live migration to the vmd whose
 * {@code vmctl receive -l} listens there; the guest runs until the last round.
 */
class SendCommand implements Command {
    @Override
    public String name() {
        return "send";
    }

    @Override
    public String usage() {
        return "[-l host:port] id";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        List<String> args = new ArrayList<>(argv);
        String live = StreamCommand.option(args, "-l");
        StreamCommand.oneArgument(args);
        int fd;
        if (live == null) {
            StreamCommand.refuseTerminal(1, "standard output");
            fd = 1;
        } else {
            fd = StreamCommand.connect(live);
        }
        try {
            VmOpResult r = StreamCommand.run(ctl, args.get(0), ImsgType.SEND_VM_REQUEST, ImsgType.SEND_VM_RESPONSE, fd,
                    live == null ? 0 : VmOp.LIVE);
            if (r.code() != 0) throw new VmctlException("send vm command failed: " + VmOpCommand.strerror(r));
            ctl.warn("sent vm " + r.id() + " successfully" + (r.message().isEmpty() ? "" : " (" + r.message() + ")"));
            return 0;
        } finally {
            if (live != null) vmd.sys.Fds.closeQuietly(fd);
        }
    }
}

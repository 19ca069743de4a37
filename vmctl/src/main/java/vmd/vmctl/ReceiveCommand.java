package vmd.vmctl;

import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOpResult;

/**
 * {@code vmctl receive name < file}: starts the configured VM {@code name} from a
 * snapshot on stdin; its guest goes on where the sent one stopped.
 */
class ReceiveCommand implements Command {
    @Override
    public String name() {
        return "receive";
    }

    @Override
    public String usage() {
        return "name";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        StreamCommand.oneArgument(argv);
        StreamCommand.refuseTerminal(0, "standard input");
        VmOpResult r = StreamCommand.run(ctl, argv.get(0), ImsgType.RECEIVE_VM_REQUEST, ImsgType.RECEIVE_VM_RESPONSE, 0);
        if (r.code() != 0) throw new VmctlException("receive vm command failed: " + VmOpCommand.strerror(r));
        ctl.warn("received vm " + r.id() + " successfully, tty " + r.tty());
        return 0;
    }
}

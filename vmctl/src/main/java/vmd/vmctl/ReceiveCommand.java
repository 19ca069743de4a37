package vmd.vmctl;

import java.util.List;
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
        VmOpResult r = StreamCommand.run(ctl, argv, StreamCommand.Side.RECEIVE);
        ctl.warn("received vm " + r.id() + " successfully, tty " + r.tty());
        return 0;
    }
}

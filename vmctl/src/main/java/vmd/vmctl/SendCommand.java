package vmd.vmctl;

import java.util.List;
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
        VmOpResult r = StreamCommand.run(ctl, argv, StreamCommand.Side.SEND);
        ctl.warn("sent vm " + r.id() + " successfully" + (r.message().isEmpty() ? "" : " (" + r.message() + ")"));
        return 0;
    }
}

package vmd.vmctl;

import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOpResult;

/** {@code vmctl send id > file}: the VM's whole state to stdout; the VM stops once it is written. */
class SendCommand implements Command {
    @Override
    public String name() {
        return "send";
    }

    @Override
    public String usage() {
        return "id";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        StreamCommand.oneArgument(argv);
        StreamCommand.refuseTerminal(1, "standard output");
        VmOpResult r = StreamCommand.run(ctl, argv.get(0), ImsgType.SEND_VM_REQUEST, ImsgType.SEND_VM_RESPONSE, 1);
        if (r.code() != 0) throw new VmctlException("send vm command failed: " + VmOpCommand.strerror(r));
        ctl.warn("sent vm " + r.id() + " successfully" + (r.message().isEmpty() ? "" : " (" + r.message() + ")"));
        return 0;
    }
}

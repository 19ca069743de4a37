package vmd.vmctl;

import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOp;
import vmd.imsg.VmOpResult;

/** {@code vmctl pause id}. */
class PauseCommand implements Command {
    @Override
    public String name() {
        return "pause";
    }

    @Override
    public String usage() {
        return "id";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        return op(ctl, argv, ImsgType.PAUSE_VM_REQUEST, ImsgType.PAUSE_VM_RESPONSE, "pause", "paused");
    }

    static int op(Vmctl ctl, List<String> argv, ImsgType request, ImsgType response, String verb, String done) {
        if (argv.size() != 1) throw new UsageException("");
        try (ControlClient c = ctl.connect()) {
            c.send(request, VmOp.of(VmOpCommand.vmid(argv.get(0)), 0));
            VmOpResult r = VmOpCommand.expect(c, response);
            if (r.code() != 0) throw new VmctlException(verb + " vm command failed: " + VmOpCommand.strerror(r));
            ctl.warn(done + " vm " + r.id() + " successfully");
            return 0;
        }
    }
}

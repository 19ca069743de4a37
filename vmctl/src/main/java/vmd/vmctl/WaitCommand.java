package vmd.vmctl;

import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOp;
import vmd.imsg.VmOpResult;

/** {@code vmctl wait id}: returns when the VM has stopped. */
final class WaitCommand implements Command {
    @Override
    public String name() {
        return "wait";
    }

    @Override
    public String usage() {
        return "id";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        if (argv.size() != 1) throw new UsageException("");
        String target = VmOpCommand.vmid(argv.get(0));
        VmOp op = VmOp.of(target, VmOp.WAIT);
        ctl.err.print(op.id() > 0 ? "waiting for vm: " : "waiting for vm " + target + ": ");
        ctl.err.flush();
        try (ControlClient c = ctl.connect()) {
            c.send(ImsgType.WAIT_VM_REQUEST, op);
            VmOpResult r = VmOpCommand.expect(c, ImsgType.TERMINATE_VM_RESPONSE, ImsgType.TERMINATE_VM_EVENT);
            return StopCommand.report(ctl, r, VmOp.WAIT);
        } catch (VmctlException e) {
            ctl.err.println();
            throw e;
        }
    }
}

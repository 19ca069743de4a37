package vmd.vmctl;

import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.VmInfo;
import vmd.imsg.VmOp;
import vmd.imsg.VmOpResult;

/** {@code vmctl stop [-fw] [id | -a]}: ACPI power button, forced after a timeout (-f: at once; -w: wait). */
final class StopCommand implements Command {
    @Override
    public String name() {
        return "stop";
    }

    @Override
    public String usage() {
        return "[-fw] [id | -a]";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        Args a = Args.parse("afw", argv);
        int flags = (a.has('f') ? VmOp.FORCE : 0) | (a.has('w') ? VmOp.WAIT : 0);
        if (a.has('a')) {
            if (!a.operands.isEmpty()) throw new VmctlException("invalid id: " + a.operands.get(0));
            int rc = 0;
            for (VmInfo v : StatusCommand.fetch(ctl)) {
                if (!v.running()) continue;
                rc |= stop(ctl, v.name(), flags);
            }
            return rc;
        }
        if (a.operands.size() != 1) throw new UsageException("");
        return stop(ctl, VmOpCommand.vmid(a.operands.get(0)), flags);
    }

    static int stop(Vmctl ctl, String target, int flags) {
        VmOp op = VmOp.of(target, flags);
        ctl.err.print(op.id() > 0 ? "stopping vm: " : "stopping vm " + target + ": ");
        ctl.err.flush();
        try (ControlClient c = ctl.connect()) {
            c.send(ImsgType.TERMINATE_VM_REQUEST, op);
            VmOpResult r = VmOpCommand.expect(c, ImsgType.TERMINATE_VM_RESPONSE, ImsgType.TERMINATE_VM_EVENT);
            return report(ctl, r, flags);
        } catch (VmctlException e) {
            ctl.err.println();
            throw e;
        }
    }

    /** OpenBSD's terminate_vm_complete() wording. */
    static int report(Vmctl ctl, VmOpResult r, int flags) {
        if (r.code() != 0) {
            switch (r.code()) {
                case 2 -> ctl.err.println("vm not found");
                case 22 -> ctl.err.println(r.message().isEmpty() ? "cannot stop vm that is not running" : r.message());
                default -> ctl.err.println("failed: " + VmOpCommand.strerror(r));
            }
            return 1;
        }
        if ((flags & VmOp.WAIT) != 0) ctl.err.println("terminated vm " + r.id());
        else if ((flags & VmOp.FORCE) != 0) ctl.err.println("forced to terminate vm " + r.id());
        else ctl.err.println("requested to shutdown vm " + r.id());
        return 0;
    }
}

package vmd.vmctl;

import java.util.List;
import vmd.imsg.VmInfo;

/** {@code vmctl console id}: attach to the VM's serial console; {@code ~.} at the start of a line detaches. */
final class ConsoleCommand implements Command {
    @Override
    public String name() {
        return "console";
    }

    @Override
    public String usage() {
        return "id";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        if (argv.size() != 1) throw new UsageException("");
        String target = VmOpCommand.vmid(argv.get(0));
        VmInfo vm = StatusCommand.find(StatusCommand.fetch(ctl), target);
        if (vm == null || !vm.running() || vm.tty().isEmpty()) throw new VmctlException("console not found");
        return attach(ctl, vm.tty());
    }

    static int attach(Vmctl ctl, String tty) {
        return new ConsoleSession(tty, ctl.err).run();
    }
}

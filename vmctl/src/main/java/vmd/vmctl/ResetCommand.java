package vmd.vmctl;

import java.util.List;
import vmd.imsg.CtlCommand;
import vmd.imsg.ImsgType;

/** {@code vmctl reset [all | switches | vms]} (root only). */
final class ResetCommand implements Command {
    @Override
    public String name() {
        return "reset";
    }

    @Override
    public String usage() {
        return "[all | switches | vms]";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        if (argv.size() > 1) throw new UsageException("");
        int mode = CtlCommand.RESET_ALL;
        if (argv.size() == 1) {
            mode = switch (argv.get(0).toLowerCase(java.util.Locale.ROOT)) {
                case "all" -> CtlCommand.RESET_ALL;
                case "vms" -> CtlCommand.RESET_VMS;
                case "switches" -> CtlCommand.RESET_SWITCHES;
                default -> throw new UsageException("");
            };
        }
        return DaemonCommand.send(ctl, ImsgType.RESET, CtlCommand.of(mode, ""));
    }
}

package vmd.vmctl;

import java.util.List;
import vmd.imsg.CtlCommand;
import vmd.imsg.ImsgType;

/** {@code vmctl reload}: vmd re-reads vm.conf (root only). */
final class ReloadCommand implements Command {
    @Override
    public String name() {
        return "reload";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        if (!argv.isEmpty()) throw new UsageException("");
        return DaemonCommand.send(ctl, ImsgType.RELOAD, CtlCommand.of(0, ""));
    }
}

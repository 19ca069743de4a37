package vmd.vmctl;

import java.nio.file.Path;
import java.util.List;
import vmd.imsg.CtlCommand;
import vmd.imsg.ImsgType;

/** {@code vmctl load filename}: add the VMs of another configuration file (root only). */
final class LoadCommand implements Command {
    @Override
    public String name() {
        return "load";
    }

    @Override
    public String usage() {
        return "filename";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        if (argv.size() != 1) throw new UsageException("");
        String file = Path.of(argv.get(0)).toAbsolutePath().normalize().toString();
        return DaemonCommand.send(ctl, ImsgType.LOAD, CtlCommand.of(0, file));
    }
}

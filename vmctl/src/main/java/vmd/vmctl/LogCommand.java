package vmd.vmctl;

import java.util.List;
import java.util.Locale;
import vmd.imsg.CtlCommand;
import vmd.imsg.ImsgType;

/** {@code vmctl log [brief | verbose]}: the daemon's log level (root only). */
final class LogCommand implements Command {
    @Override
    public String name() {
        return "log";
    }

    @Override
    public String usage() {
        return "[brief | verbose]";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        if (argv.size() != 1 || argv.get(0).isEmpty()) throw new UsageException("");
        String w = argv.get(0).toLowerCase(Locale.ROOT);
        int level;
        if ("brief".startsWith(w)) level = 0;
        else if ("verbose".startsWith(w)) level = 1;
        else throw new UsageException("");
        return DaemonCommand.send(ctl, ImsgType.CTL_VERBOSE, CtlCommand.of(level, ""));
    }
}

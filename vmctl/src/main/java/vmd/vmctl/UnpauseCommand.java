package vmd.vmctl;

import java.util.List;
import vmd.imsg.ImsgType;

/** {@code vmctl unpause id}. */
final class UnpauseCommand implements Command {
    @Override
    public String name() {
        return "unpause";
    }

    @Override
    public String usage() {
        return "id";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        return PauseCommand.op(ctl, argv, ImsgType.UNPAUSE_VM_REQUEST, ImsgType.UNPAUSE_VM_RESPONSE, "unpause", "unpaused");
    }
}

package vmd.vmctl;

import vmd.imsg.CtlCommand;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;

/** Sends one daemon-wide request (log, load, reload, reset) and waits for CTL_OK. */
final class DaemonCommand {
    private DaemonCommand() {}

    static int send(Vmctl ctl, ImsgType type, CtlCommand cmd) {
        try (ControlClient c = ctl.connect()) {
            c.send(type, cmd);
            Imsg m = c.receive(); // CTL_FAIL throws "command failed: ..."
            if (m.type() != ImsgType.CTL_OK) throw new VmctlException("unexpected response received from vmd");
            return 0;
        }
    }
}

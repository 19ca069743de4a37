package vmd.vmctl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.VmInfo;
import vmd.imsg.VmOp;

/** {@code vmctl status [-jr] [id]} (and its alias {@code show}): OpenBSD's table, or JSON with -j. */
final class StatusCommand implements Command {
    static final String HEADER_FORMAT = "%5s %5s %5s %7s %7s %7s %12s %8s %s";

    private final String name;

    StatusCommand(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String usage() {
        return "[-jr] [id]";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        Args a = Args.parse("jr", argv);
        if (a.operands.size() > 1) throw new UsageException("");
        String target = a.operands.isEmpty() ? null : a.operands.get(0);
        List<VmInfo> vms = fetch(ctl);
        if (a.has('j')) {
            List<VmInfo> shown = selected(vms, target, a.has('r'));
            ctl.out.println(StatusJson.of(shown));
            return shown.isEmpty() && target != null ? 1 : 0;
        }
        List<String> lines = table(vms, target, a.has('r'), ctl.verbose);
        lines.forEach(ctl.out::println);
        return lines.size() > 1 || (target == null && anyShown(vms, a.has('r'))) ? 0 : 1;
    }

    private static boolean anyShown(List<VmInfo> vms, boolean runningOnly) {
        return vms.stream().anyMatch(v -> !runningOnly || v.running());
    }

    /** GET_INFO_VM_REQUEST: every VM the daemon knows. */
    static List<VmInfo> fetch(Vmctl ctl) {
        try (ControlClient c = ctl.connect()) {
            c.send(ImsgType.GET_INFO_VM_REQUEST, new VmOp(0, "", 0, -1, -1));
            List<VmInfo> vms = new ArrayList<>();
            while (true) {
                Imsg m = c.receive();
                if (m.type() == ImsgType.GET_INFO_VM_END_DATA) return vms;
                if (m.type() != ImsgType.GET_INFO_VM_DATA) throw new VmctlException("unexpected response received from vmd");
                vms.add(m.decode(VmInfo::decode));
            }
        }
    }

    /** The VM {@code target} (id or name) names, or null. */
    static VmInfo find(List<VmInfo> vms, String target) {
        int id = VmOp.parseId(target);
        for (VmInfo v : vms) if (id > 0 ? v.id() == id : v.name().equals(target)) return v;
        return null;
    }

    /** The VMs shown: {@code target} (id or name) only if given, running ones only if asked. */
    static List<VmInfo> selected(List<VmInfo> vms, String target, boolean runningOnly) {
        int id = target == null ? 0 : VmOp.parseId(target);
        List<VmInfo> out = new ArrayList<>();
        for (VmInfo v : vms) {
            if (runningOnly && !v.running()) continue;
            if (target != null && (id > 0 ? v.id() != id : !v.name().equals(target))) continue;
            out.add(v);
        }
        return out;
    }

    /** The header and one line per VM shown, exactly as OpenBSD's print_vm_info. */
    static List<String> table(List<VmInfo> vms, String target, boolean runningOnly, boolean verbose) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, HEADER_FORMAT, "ID", "PID", "VCPUS", "MAXMEM", "CURMEM", "TTY", "OWNER", "STATE", "NAME"));
        for (VmInfo v : selected(vms, target, runningOnly)) {
            String maxmem = Scaled.format(v.maxMem());
            if (v.running()) {
                String tty = v.tty().isEmpty() ? "-" : v.tty().replaceFirst("^/dev/", "");
                lines.add(String.format(Locale.ROOT, "%5d %5d %5d %7s %7s %7s %12s %8s %s", v.id(), v.pid(), v.vcpus(),
                        maxmem, Scaled.format(v.curMem()), tty, v.owner(), v.state(), v.name()));
            } else {
                lines.add(String.format(Locale.ROOT, "%5d %5s %5d %7s %7s %7s %12s %8s %s", v.id(), "-", v.vcpus(),
                        maxmem, "-", "-", v.owner(), v.state(), v.name()));
            }
            // vmctl -v: why the VM (or one of its device processes) last ended.
            if (verbose && !v.lastEvent().isEmpty()) lines.add("      last event: " + v.lastEvent());
        }
        return lines;
    }
}

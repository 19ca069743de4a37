package vmd.parent.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;
import vmd.parent.vms.DeviceProcess;
import vmd.parent.vms.Vm;
import vmd.parent.vms.VmState;

/**
 * What the parent itself knows for a scrape: every VM's state, the resident guest memory of
 * the running ones, device restarts, and the resident set size of each of its processes.
 * Built on the event thread, which owns the VMs.
 */
final class ParentSamples {
    /** The states as vmctl status shows them: a disabled VM is "stopped" there too. */
    static final List<String> STATES = List.of("stopped", "starting", "running", "paused", "stopping");

    private ParentSamples() {}

    static List<StatsSample> of(List<Vm> vms, long parentPid, long controlPid) {
        List<StatsSample> out = new ArrayList<>();
        for (Vm vm : vms) {
            String state = vm.state() == VmState.DISABLED ? "stopped" : vm.state().label();
            for (String s : STATES) out.add(Metric.VM_STATE.sample(s.equals(state) ? 1 : 0, "vm", vm.name(), "state", s));
        }
        for (Vm vm : vms) {
            if (vm.pid() <= 0) continue;
            long resident = ProcStatus.bytes(vm.pid(), "RssShmem");
            if (resident >= 0) out.add(Metric.VM_GUEST_MEMORY_RESIDENT.sample(resident, "vm", vm.name()));
        }
        for (Vm vm : vms) {
            Map<String, Long> restarts = vm.deviceRestarts();
            for (DeviceProcess d : vm.devices()) {
                out.add(Metric.DEVICE_RESTARTS.sample(restarts.getOrDefault(d.device(), 0L), "vm", vm.name(), "kind", d.kind(),
                        "device", d.device()));
            }
        }
        rss(out, parentPid, "kind", "parent");
        if (controlPid > 0) rss(out, controlPid, "kind", "control");
        for (Vm vm : vms) {
            if (vm.pid() <= 0) continue;
            rss(out, vm.pid(), "kind", "vm", "vm", vm.name());
            for (DeviceProcess d : vm.devices()) {
                if (d.alive()) rss(out, d.pid(), "kind", d.kind(), "vm", vm.name(), "device", d.device());
            }
        }
        return out;
    }

    private static void rss(List<StatsSample> out, long pid, String... labels) {
        long rss = ProcStatus.bytes(pid, "VmRSS");
        if (rss >= 0) out.add(Metric.PROCESS_RESIDENT_MEMORY.sample(rss, labels));
    }
}

package vmd.vm;

import java.util.ArrayList;
import java.util.List;
import vmd.imsg.StatsSample;
import vmd.imsg.VmParams;
import vmd.metrics.Metric;

/** What the vm process answers a scrape with: the VM's shape and its vCPUs' exits. */
final class VmStats {
    private VmStats() {}

    static List<StatsSample> samples(VmParams params, VcpuExitCounts exits) {
        List<StatsSample> out = new ArrayList<>();
        out.add(Metric.VM_GUEST_MEMORY.sample(params.memoryBytes()));
        out.add(Metric.VM_VCPUS.sample(params.vcpus()));
        out.addAll(exits.samples());
        return out;
    }
}

package vmd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vmd.imsg.StatsSample;
import vmd.imsg.VmParams;
import vmd.metrics.Metric;
import vmd.vm.kvm.KvmRun;

class VcpuExitStatsTest {
    @Test
    void exitsAreCountedByReasonAndRareOnesAreOther() throws Exception {
        VcpuExitCounts c = new VcpuExitCounts();
        Thread[] vcpus = new Thread[4];
        for (int t = 0; t < vcpus.length; t++) {
            vcpus[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) c.count(KvmRun.EXIT_IO);
                c.count(KvmRun.EXIT_MMIO);
                c.count(KvmRun.EXIT_IRQ_WINDOW_OPEN);
                c.count(12345);
            });
            vcpus[t].start();
        }
        for (Thread t : vcpus) t.join();
        c.count(KvmRun.EXIT_SYSTEM_EVENT);
        Map<String, Double> byReason = new HashMap<>();
        for (StatsSample s : c.samples()) {
            assertEquals(Metric.VCPU_EXITS.metricName(), s.name());
            byReason.put(s.label("reason"), ((StatsSample.Value) s).value());
        }
        assertEquals(40_000.0, byReason.get("io"));
        assertEquals(4.0, byReason.get("mmio"));
        assertEquals(8.0, byReason.get("other"));
        assertEquals(1.0, byReason.get("system_event"));
        assertEquals(0.0, byReason.get("hlt"), "every reason has a series, zero or not");
        assertEquals(VcpuExitCounts.Reason.values().length, byReason.size());
    }

    @Test
    void theVmProcessReportsItsShapeAndEverySampleIsOneItMaySend() {
        VmParams p = new VmParams("web", 1, 64L << 20, 2, "", "");
        List<StatsSample> samples = VmStats.samples(p, new VcpuExitCounts());
        assertEquals(Metric.VM_GUEST_MEMORY.sample(64L << 20), samples.get(0));
        assertEquals(Metric.VM_VCPUS.sample(2), samples.get(1));
        for (StatsSample s : samples) assertEquals(true, Metric.acceptable(s, Metric.Source.VM), s.toString());
    }
}

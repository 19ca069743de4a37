package vmd.parent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;

/** The parent's gathering of its children's answers, with children played by futures. */
@Timeout(60)
class StatsCollectorTest {
    private static StatsCollector.Child child(String name, Metric.Source kind, List<StatsSample.Label> labels,
                                              CompletableFuture<List<StatsSample>> answer) {
        return new StatsCollector.Child(name, kind, labels, () -> answer);
    }

    @Test
    void answersGetTheirVmAndDeviceLabelsAfterTheParentsOwn() throws Exception {
        StatsSample own = Metric.VM_STATE.sample(1, "vm", "web", "state", "running");
        List<StatsSample> all = StatsCollector.collect(List.of(own), List.of(
                child("vm web", Metric.Source.VM, StatsSample.labels("vm", "web"),
                        CompletableFuture.completedFuture(List.of(Metric.VCPU_EXITS.sample(5, "reason", "io")))),
                child("vioblk web/disk0", Metric.Source.VIOBLK, StatsSample.labels("vm", "web", "disk", "disk0"),
                        CompletableFuture.completedFuture(List.of(Metric.DISK_READ_BYTES.sample(512))))), 10_000).get();
        assertEquals(List.of(own,
                Metric.VCPU_EXITS.sample(5, "vm", "web", "reason", "io"),
                Metric.DISK_READ_BYTES.sample(512, "vm", "web", "disk", "disk0"),
                Metric.SCRAPE_UNANSWERED.sample(0)), all);
    }

    @Test
    void aChildCannotSpeakForAnotherVmOrSendAnotherProcesssMetrics() throws Exception {
        List<StatsSample> all = StatsCollector.collect(List.of(), List.of(
                child("vionet web/net0", Metric.Source.VIONET, StatsSample.labels("vm", "web", "interface", "net0"),
                        CompletableFuture.completedFuture(List.of(
                                Metric.INTERFACE_TX_PACKETS.sample(3),
                                Metric.INTERFACE_TX_PACKETS.sample(3, "vm", "other"),     // naming a VM itself
                                Metric.VM_STATE.sample(1, "vm", "x", "state", "running"), // the parent's metric
                                Metric.DISK_READ_BYTES.sample(1),                         // a disk's
                                new StatsSample.Value("vmd_made_up_total", List.of(), 1))))), 10_000).get();
        assertEquals(List.of(Metric.INTERFACE_TX_PACKETS.sample(3, "vm", "web", "interface", "net0"), Metric.SCRAPE_UNANSWERED.sample(0)), all);
    }

    @Test
    void aSilentOrBrokenChildIsLeftOutAndCounted() throws Exception {
        CompletableFuture<List<StatsSample>> never = new CompletableFuture<>();
        List<StatsSample> all = StatsCollector.collect(List.of(), List.of(
                child("vm hung", Metric.Source.VM, StatsSample.labels("vm", "hung"), never),
                child("vm gone", Metric.Source.VM, StatsSample.labels("vm", "gone"),
                        CompletableFuture.failedFuture(new IllegalStateException("no channel"))),
                new StatsCollector.Child("vm throws", Metric.Source.VM, StatsSample.labels("vm", "t"), () -> {
                    throw new IllegalStateException("cannot ask");
                }),
                child("vm ok", Metric.Source.VM, StatsSample.labels("vm", "ok"),
                        CompletableFuture.completedFuture(List.of(Metric.VM_VCPUS.sample(1))))), 50).get();
        assertEquals(List.of(Metric.VM_VCPUS.sample(1, "vm", "ok"), Metric.SCRAPE_UNANSWERED.sample(3)), all);
        assertTrue(never.isDone(), "the timed-out request is complete, so its requester forgets it");
    }

    @Test
    void procStatusFieldsAreBytes() {
        String status = "Name:\tjava\nVmRSS:\t  123456 kB\nRssShmem:\t    2048 kB\nThreads:\t12\n";
        assertEquals(123456L * 1024, ProcStatus.parse(status, "VmRSS"));
        assertEquals(2048L * 1024, ProcStatus.parse(status, "RssShmem"));
        assertEquals(12, ProcStatus.parse(status, "Threads"));
        assertEquals(-1, ProcStatus.parse(status, "VmSwap"));
        assertTrue(ProcStatus.bytes(ProcessHandle.current().pid(), "VmRSS") > 0, "this JVM has a resident set");
        assertEquals(-1, ProcStatus.bytes(Integer.MAX_VALUE, "VmRSS"), "no such process");
    }
}

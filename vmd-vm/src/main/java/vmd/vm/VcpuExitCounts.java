package vmd.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;
import vmd.vm.kvm.KvmRun;

/**
 * KVM_RUN exits of every vCPU of the VM, by reason, for metrics. Counting is one
 * {@link LongAdder} increment on the vCPU thread: no lock, and vCPUs do not contend on one
 * cache line.
 */
final class VcpuExitCounts {
    /** The reasons a scrape shows, as its {@code reason} label; everything rarer is "other". */
    enum Reason {
        IO, MMIO, HLT, INTR, SHUTDOWN, SYSTEM_EVENT, INTERNAL_ERROR, FAIL_ENTRY, OTHER;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Reason of(int kvmExitReason) {
            return switch (kvmExitReason) {
                case KvmRun.EXIT_IO -> IO;
                case KvmRun.EXIT_MMIO -> MMIO;
                case KvmRun.EXIT_HLT -> HLT;
                case KvmRun.EXIT_INTR -> INTR;
                case KvmRun.EXIT_SHUTDOWN -> SHUTDOWN;
                case KvmRun.EXIT_SYSTEM_EVENT -> SYSTEM_EVENT;
                case KvmRun.EXIT_INTERNAL_ERROR -> INTERNAL_ERROR;
                case KvmRun.EXIT_FAIL_ENTRY -> FAIL_ENTRY;
                default -> OTHER;
            };
        }
    }

    private final LongAdder[] counts = new LongAdder[Reason.values().length];

    VcpuExitCounts() {
        for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
    }

    /** One exit with KVM's {@code exit_reason}. */
    void count(int kvmExitReason) {
        counts[Reason.of(kvmExitReason).ordinal()].increment();
    }

    long get(Reason r) {
        return counts[r.ordinal()].sum();
    }

    /** One sample per reason, zeros included, so every series exists from the start. */
    List<StatsSample> samples() {
        List<StatsSample> out = new ArrayList<>();
        for (Reason r : Reason.values()) out.add(Metric.VCPU_EXITS.sample(get(r), "reason", r.label()));
        return out;
    }
}

package vmd.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vmd.imsg.StatsSample;

/**
 * Every metric vmd exposes: its name, type, help text, which process measures it, and its
 * labels. The processes make samples from here, the parent checks what its children send
 * against it, and the exposition takes HELP and TYPE from it; vmd(8) lists the same.
 *
 * <p>Labels {@code vm}, {@code disk} and {@code interface} on a child's metrics are added by
 * the parent, which knows which VM and device a process serves: a child never names itself.
 */
public enum Metric {
    // ---- the parent: what it knows of every VM and process ----
    VM_STATE("vmd_vm_state", Type.GAUGE, Source.PARENT,
            "1 for the state the VM is in, 0 for the others (one series per state, as vmctl status names them)", "vm", "state"),
    VM_GUEST_MEMORY_RESIDENT("vmd_vm_guest_memory_resident_bytes", Type.GAUGE, Source.PARENT,
            "Guest RAM the vm process has resident (its shared guest memory pages; vmctl status CURMEM)", "vm"),
    DEVICE_RESTARTS("vmd_device_restarts_total", Type.COUNTER, Source.PARENT,
            "Times the parent restarted a device process that died, since the VM was defined", "vm", "kind", "device"),
    PROCESS_RESIDENT_MEMORY("vmd_process_resident_memory_bytes", Type.GAUGE, Source.PARENT,
            "Resident set size (VmRSS) of a vmd process; a vm process's includes the guest RAM it has touched",
            "kind", "vm", "device"),
    SCRAPE_UNANSWERED("vmd_scrape_unanswered_processes", Type.GAUGE, Source.PARENT,
            "Processes that did not answer this scrape in time; their samples are missing from it"),

    // ---- the vm process ----
    VM_GUEST_MEMORY("vmd_vm_guest_memory_bytes", Type.GAUGE, Source.VM, "Size of the guest's RAM", "vm"),
    VM_VCPUS("vmd_vm_vcpus", Type.GAUGE, Source.VM, "vCPUs of the VM", "vm"),
    VCPU_EXITS("vmd_vcpu_exits_total", Type.COUNTER, Source.VM,
            "Returns from KVM_RUN on every vCPU of the VM, by KVM exit reason", "vm", "reason"),

    // ---- vioblk, one per disk ----
    DISK_REQUESTS("vmd_disk_requests_total", Type.COUNTER, Source.VIOBLK, "virtio-blk requests served, by operation",
            "vm", "disk", "op"),
    DISK_READ_BYTES("vmd_disk_read_bytes_total", Type.COUNTER, Source.VIOBLK, "Bytes read from the disk into the guest", "vm", "disk"),
    DISK_WRITTEN_BYTES("vmd_disk_written_bytes_total", Type.COUNTER, Source.VIOBLK, "Bytes written from the guest to the disk",
            "vm", "disk"),
    DISK_ERRORS("vmd_disk_errors_total", Type.COUNTER, Source.VIOBLK,
            "Requests answered with an error status (I/O error or unsupported), by operation", "vm", "disk", "op"),
    DISK_REQUEST_DURATION("vmd_disk_request_duration_seconds", Type.HISTOGRAM, Source.VIOBLK,
            "Time the device took to serve a request, from its decoding to its status, by operation", "vm", "disk", "op"),

    // ---- vionet, one per interface; rx is towards the guest, tx from it ----
    INTERFACE_RX_PACKETS("vmd_interface_rx_packets_total", Type.COUNTER, Source.VIONET, "Frames delivered to the guest",
            "vm", "interface"),
    INTERFACE_RX_BYTES("vmd_interface_rx_bytes_total", Type.COUNTER, Source.VIONET, "Bytes of frames delivered to the guest",
            "vm", "interface"),
    INTERFACE_RX_DROPPED("vmd_interface_rx_dropped_total", Type.COUNTER, Source.VIONET,
            "Frames for the guest that were dropped, by reason (oversize, filtered, error)", "vm", "interface", "reason"),
    INTERFACE_TX_PACKETS("vmd_interface_tx_packets_total", Type.COUNTER, Source.VIONET, "Frames the guest sent",
            "vm", "interface"),
    INTERFACE_TX_BYTES("vmd_interface_tx_bytes_total", Type.COUNTER, Source.VIONET, "Bytes of frames the guest sent",
            "vm", "interface"),
    INTERFACE_TX_DROPPED("vmd_interface_tx_dropped_total", Type.COUNTER, Source.VIONET,
            "Frames from the guest that were dropped, by reason (malformed, filtered, error)", "vm", "interface", "reason");

    /** The exposition's metric types. */
    public enum Type {
        COUNTER, GAUGE, HISTOGRAM;

        /** As the text format's TYPE line writes it. */
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The process that measures a metric; the names are the process kinds. */
    public enum Source {
        PARENT("parent"), VM("vm"), VIOBLK("vioblk"), VIONET("vionet");

        private final String kind;

        Source(String kind) {
            this.kind = kind;
        }

        public String kind() {
            return kind;
        }
    }

    /** The labels the parent adds to its children's samples. */
    public static final Set<String> PARENT_LABELS = Set.of("vm", "disk", "interface");

    private static final Map<String, Metric> BY_NAME = new HashMap<>();

    static {
        for (Metric m : values()) BY_NAME.put(m.metricName, m);
    }

    private final String metricName;
    private final Type type;
    private final Source source;
    private final String help;
    private final List<String> labels;

    Metric(String metricName, Type type, Source source, String help, String... labels) {
        this.metricName = metricName;
        this.type = type;
        this.source = source;
        this.help = help;
        this.labels = List.of(labels);
    }

    public String metricName() {
        return metricName;
    }

    public Type type() {
        return type;
    }

    public Source source() {
        return source;
    }

    public String help() {
        return help;
    }

    /** Every label a sample of this metric may carry. */
    public List<String> labels() {
        return labels;
    }

    /** The labels the measuring process sets itself: for a child's metric, all but the parent's. */
    public Set<String> ownLabels() {
        if (source == Source.PARENT) return Set.copyOf(labels);
        return Set.copyOf(labels.stream().filter(l -> !PARENT_LABELS.contains(l)).toList());
    }

    /** The metric called {@code name}, or null. */
    public static Metric byName(String name) {
        return BY_NAME.get(name);
    }

    /** A counter's or gauge's sample; labels as alternating names and values. */
    public StatsSample.Value sample(double value, String... labelPairs) {
        if (type == Type.HISTOGRAM) throw new IllegalStateException(metricName + " is a histogram");
        return new StatsSample.Value(metricName, StatsSample.labels(labelPairs), value);
    }

    /** A histogram's sample: per-bucket counts (one more than the bounds) and the sum. */
    public StatsSample.Histogram histogram(List<Double> bounds, List<Long> counts, double sum, String... labelPairs) {
        if (type != Type.HISTOGRAM) throw new IllegalStateException(metricName + " is not a histogram");
        return new StatsSample.Histogram(metricName, StatsSample.labels(labelPairs), bounds, counts, sum);
    }

    /**
     * Whether {@code s}, sent by a process of {@code kind}, is a sample of one of that
     * process's metrics, of the right shape, with exactly the labels it sets itself.
     */
    public static boolean acceptable(StatsSample s, Source kind) {
        Metric m = byName(s.name());
        if (m == null || m.source != kind) return false;
        if ((m.type == Type.HISTOGRAM) != (s instanceof StatsSample.Histogram)) return false;
        Set<String> names = new java.util.HashSet<>();
        for (StatsSample.Label l : s.labels()) names.add(l.name());
        return names.equals(m.ownLabels());
    }
}

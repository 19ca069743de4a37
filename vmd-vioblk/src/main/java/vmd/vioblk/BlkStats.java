package vmd.vioblk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;

/**
 * What one disk's requests did, for metrics: per operation a latency histogram (whose
 * count is the request count) and errors, and the bytes moved. Recorded by whichever thread
 * served the request (a ring's or an I/O thread), with no lock.
 */
final class BlkStats {
    /** The {@code op} label: virtio-blk request types, and "unsupported" for any other. */
    enum Op {
        READ, WRITE, FLUSH, GET_ID, DISCARD, WRITE_ZEROES, UNSUPPORTED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Op of(int type) {
            return switch (type) {
                case BlkRequest.T_IN -> READ;
                case BlkRequest.T_OUT -> WRITE;
                case BlkRequest.T_FLUSH -> FLUSH;
                case BlkRequest.T_GET_ID -> GET_ID;
                case BlkRequest.T_DISCARD -> DISCARD;
                case BlkRequest.T_WRITE_ZEROES -> WRITE_ZEROES;
                default -> UNSUPPORTED;
            };
        }
    }

    private final LatencyHistogram[] latency = new LatencyHistogram[Op.values().length];
    private final LongAdder[] errors = new LongAdder[Op.values().length];
    private final LongAdder readBytes = new LongAdder(), writtenBytes = new LongAdder();

    BlkStats() {
        for (int i = 0; i < latency.length; i++) {
            latency[i] = new LatencyHistogram();
            errors[i] = new LongAdder();
        }
    }

    /**
     * One request of virtio-blk {@code type}, served in {@code nanos} with {@code status};
     * {@code read} bytes went from the disk to the guest, {@code written} the other way.
     */
    void record(int type, long nanos, byte status, long read, long written) {
        int op = Op.of(type).ordinal();
        latency[op].record(nanos);
        if (status != BlkRequest.S_OK) errors[op].increment();
        if (read > 0) readBytes.add(read);
        if (written > 0) writtenBytes.add(written);
    }

    /** Every operation's series, zeros included: requests, errors and latency, then the bytes. */
    List<StatsSample> samples() {
        List<StatsSample> out = new ArrayList<>();
        List<StatsSample> histograms = new ArrayList<>();
        for (Op op : Op.values()) {
            LatencyHistogram h = latency[op.ordinal()];
            List<Long> counts = h.counts();
            long requests = counts.stream().mapToLong(Long::longValue).sum();
            out.add(Metric.DISK_REQUESTS.sample(requests, "op", op.label()));
            out.add(Metric.DISK_ERRORS.sample(errors[op.ordinal()].sum(), "op", op.label()));
            histograms.add(Metric.DISK_REQUEST_DURATION.histogram(LatencyHistogram.BOUNDS, counts, h.sumSeconds(), "op", op.label()));
        }
        out.add(Metric.DISK_READ_BYTES.sample(readBytes.sum()));
        out.add(Metric.DISK_WRITTEN_BYTES.sample(writtenBytes.sum()));
        out.addAll(histograms);
        return out;
    }
}

package vmd.vioblk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request latencies in fixed buckets, recorded from any thread without a lock: one
 * {@link LongAdder} per bucket and one for the sum. A snapshot's count is the sum of its
 * buckets, so it always agrees with them.
 */
final class LatencyHistogram {
    /** Upper bounds in seconds: 50 us to 1 s, the range from a page-cache hit to a slow fsync. */
    static final List<Double> BOUNDS = List.of(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1.0);
    private static final long[] BOUND_NANOS = BOUNDS.stream().mapToLong(s -> Math.round(s * 1e9)).toArray();

    private final LongAdder[] buckets = new LongAdder[BOUNDS.size() + 1]; // the last: above 1 s
    private final LongAdder sumNanos = new LongAdder();

    LatencyHistogram() {
        for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
    }

    void record(long nanos) {
        int i = 0;
        while (i < BOUND_NANOS.length && nanos > BOUND_NANOS[i]) i++;
        buckets[i].increment();
        sumNanos.add(nanos);
    }

    /** Observations per bucket (not cumulative), one more than {@link #BOUNDS}. */
    List<Long> counts() {
        List<Long> out = new ArrayList<>(buckets.length);
        for (LongAdder b : buckets) out.add(b.sum());
        return out;
    }

    double sumSeconds() {
        return sumNanos.sum() / 1e9;
    }
}

package vmd.imsg;

import java.util.ArrayList;
import java.util.List;

/**
 * STATS_RESPONSE: a list of {@link StatsSample}s. Each sample is a u8 tag (1 value, 2
 * histogram), its name, its labels (a list of name/value strings), then a value (f64 as
 * its IEEE bits in a u64) or a histogram's bounds (f64 list), counts (u64 list, one more)
 * and sum (f64). Lists carry their own counts, checked against the bytes left, so a
 * truncated or hostile payload is an {@link ImsgProtocolException} and never a large
 * allocation.
 */
public record StatsSamples(List<StatsSample> samples) implements ImsgPayload {
    static final int VALUE = 1, HISTOGRAM = 2;

    public StatsSamples {
        samples = List.copyOf(samples);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.list(samples, StatsSamples::encodeSample);
    }

    public static StatsSamples decode(PayloadReader in) {
        return new StatsSamples(in.list(StatsSamples::decodeSample));
    }

    private static void encodeSample(PayloadWriter out, StatsSample s) {
        out.u8(s instanceof StatsSample.Value ? VALUE : HISTOGRAM).string(s.name());
        out.list(s.labels(), (w, l) -> w.string(l.name()).string(l.value()));
        switch (s) {
            case StatsSample.Value v -> f64(out, v.value());
            case StatsSample.Histogram h -> {
                out.list(h.bounds(), StatsSamples::f64);
                out.list(h.counts(), PayloadWriter::u64);
                f64(out, h.sum());
            }
        }
    }

    private static StatsSample decodeSample(PayloadReader in) {
        int tag = in.u8();
        if (tag != VALUE && tag != HISTOGRAM) throw new ImsgProtocolException("unknown sample kind " + tag);
        String name = in.string();
        List<StatsSample.Label> labels = in.list(r -> new StatsSample.Label(r.string(), r.string()));
        if (tag == VALUE) return new StatsSample.Value(name, labels, f64(in));
        List<Double> bounds = in.list(StatsSamples::f64);
        List<Long> counts = in.list(PayloadReader::u64);
        return new StatsSample.Histogram(name, labels, bounds, counts, f64(in));
    }

    private static void f64(PayloadWriter out, double v) {
        out.u64(Double.doubleToRawLongBits(v));
    }

    private static double f64(PayloadReader in) {
        return Double.longBitsToDouble(in.u64());
    }

    /** Bytes {@code s} takes inside a payload. */
    static int encodedSize(StatsSample s) {
        PayloadWriter w = new PayloadWriter();
        encodeSample(w, s);
        return w.size();
    }

    /**
     * {@code samples} in order, cut into payloads that each fit one frame (what the parent
     * sends the control process for a scrape of many VMs).
     */
    public static List<StatsSamples> chunks(List<StatsSample> samples) {
        List<StatsSamples> out = new ArrayList<>();
        List<StatsSample> chunk = new ArrayList<>();
        int size = 4; // the list's count
        for (StatsSample s : samples) {
            int n = encodedSize(s);
            if (size + n > ImsgHeader.MAX_PAYLOAD && !chunk.isEmpty()) {
                out.add(new StatsSamples(chunk));
                chunk = new ArrayList<>();
                size = 4;
            }
            chunk.add(s);
            size += n;
        }
        if (!chunk.isEmpty()) out.add(new StatsSamples(chunk));
        return out;
    }

    /** The first of {@link #chunks}: what a child sends when all it has does not fit one frame. */
    public static StatsSamples fitting(List<StatsSample> samples) {
        List<StatsSamples> c = chunks(samples);
        return c.isEmpty() ? new StatsSamples(List.of()) : c.get(0);
    }
}

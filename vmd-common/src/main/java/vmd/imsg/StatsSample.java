package vmd.imsg;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One metric sample as it travels in STATS_RESPONSE: a name, labels, and either a value or
 * a histogram. Whether a value is a counter or a gauge is the metric catalog's business
 * ({@code vmd.metrics.Metric}), not the wire's. Everything is bounded and checked here, so
 * a sample decoded from a hostile process is one the exposition can print as it is.
 */
public sealed interface StatsSample permits StatsSample.Value, StatsSample.Histogram {
    int MAX_NAME = 128, MAX_LABELS = 16, MAX_LABEL_NAME = 64, MAX_LABEL_VALUE = 256, MAX_BUCKETS = 32;

    String name();

    List<Label> labels();

    /** The same sample with {@code first} before its own labels. */
    StatsSample withLabels(List<Label> first);

    /** The value of the label called {@code name}, or null. */
    default String label(String name) {
        for (Label l : labels()) if (l.name().equals(name)) return l.value();
        return null;
    }

    /** A label pair; names as Prometheus allows them, values any text up to 256 characters. */
    record Label(String name, String value) {
        private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

        public Label {
            Objects.requireNonNull(name, "label name");
            Objects.requireNonNull(value, "label value");
            if (name.length() > MAX_LABEL_NAME || !NAME.matcher(name).matches() || name.startsWith("__")) {
                throw new IllegalArgumentException("invalid label name \"" + Reason.shorten(name) + "\"");
            }
            if (value.length() > MAX_LABEL_VALUE) throw new IllegalArgumentException("label " + name + " value longer than " + MAX_LABEL_VALUE);
        }
    }

    /** A counter's or a gauge's value. */
    record Value(String name, List<Label> labels, double value) implements StatsSample {
        public Value {
            checkName(name);
            labels = checkLabels(labels, false);
        }

        @Override
        public Value withLabels(List<Label> first) {
            return new Value(name, join(first, labels), value);
        }
    }

    /**
     * A histogram: {@code counts[i]} observations at most {@code bounds[i]} and above the
     * bound before it; the last count, one more than there are bounds, is those above the
     * last bound. Per bucket, not cumulative: the exposition adds them up.
     */
    record Histogram(String name, List<Label> labels, List<Double> bounds, List<Long> counts, double sum) implements StatsSample {
        public Histogram {
            checkName(name);
            labels = checkLabels(labels, true);
            bounds = List.copyOf(bounds);
            counts = List.copyOf(counts);
            if (bounds.isEmpty() || bounds.size() > MAX_BUCKETS) throw new IllegalArgumentException("histogram " + name + " has " + bounds.size() + " bounds");
            if (counts.size() != bounds.size() + 1) {
                throw new IllegalArgumentException("histogram " + name + " has " + counts.size() + " counts for " + bounds.size() + " bounds");
            }
            for (int i = 0; i < bounds.size(); i++) {
                double b = bounds.get(i);
                if (!Double.isFinite(b) || (i > 0 && b <= bounds.get(i - 1))) {
                    throw new IllegalArgumentException("histogram " + name + " bounds are not finite and increasing");
                }
            }
            for (long c : counts) if (c < 0) throw new IllegalArgumentException("histogram " + name + " has a negative count");
            if (Double.isNaN(sum)) throw new IllegalArgumentException("histogram " + name + " sum is NaN");
        }

        /** Every observation. */
        public long count() {
            long n = 0;
            for (long c : counts) n += c;
            return n;
        }

        @Override
        public Histogram withLabels(List<Label> first) {
            return new Histogram(name, join(first, labels), bounds, counts, sum);
        }
    }

    /** Label pairs from alternating names and values: {@code labels("op", "read")}. */
    static List<Label> labels(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) throw new IllegalArgumentException("labels come in name/value pairs");
        List<Label> out = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) out.add(new Label(namesAndValues[i], namesAndValues[i + 1]));
        return out;
    }

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.length() > MAX_NAME || !METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid metric name \"" + Reason.shorten(name) + "\"");
        }
    }

    private static List<Label> checkLabels(List<Label> labels, boolean histogram) {
        labels = List.copyOf(labels);
        if (labels.size() > MAX_LABELS) throw new IllegalArgumentException(labels.size() + " labels, at most " + MAX_LABELS);
        Set<String> seen = new HashSet<>();
        for (Label l : labels) {
            if (!seen.add(l.name())) throw new IllegalArgumentException("label " + l.name() + " given twice");
            if (histogram && l.name().equals("le")) throw new IllegalArgumentException("a histogram may not have a label le");
        }
        return labels;
    }

    private static List<Label> join(List<Label> first, List<Label> rest) {
        List<Label> all = new ArrayList<>(first);
        all.addAll(rest);
        return all;
    }

    /** What Prometheus allows as a metric name. */
    Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
}

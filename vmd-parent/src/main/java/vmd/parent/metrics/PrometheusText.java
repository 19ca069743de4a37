package vmd.parent.metrics;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;

/**
 * Prometheus text exposition format 0.0.4: per metric family a {@code # HELP} and a
 * {@code # TYPE} line, then its samples. Families come in the catalog's order, a family's
 * series in the order they were collected; a histogram becomes cumulative
 * {@code _bucket{le="..."}} series ending with {@code le="+Inf"}, then {@code _sum} and
 * {@code _count}. Label values and help text are escaped as the format says. A sample of
 * no known metric, or a second series with the same labels, is left out: what is printed
 * always parses.
 */
public final class PrometheusText {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusText() {}

    public static String render(List<StatsSample> samples) {
        Map<Metric, List<StatsSample>> families = new EnumMap<>(Metric.class);
        Map<Metric, Set<List<StatsSample.Label>>> seen = new EnumMap<>(Metric.class);
        for (StatsSample s : samples) {
            Metric m = Metric.byName(s.name());
            if (m == null || (m.type() == Metric.Type.HISTOGRAM) != (s instanceof StatsSample.Histogram)) continue;
            List<StatsSample.Label> key = new ArrayList<>(s.labels());
            key.sort(java.util.Comparator.comparing(StatsSample.Label::name));
            if (!seen.computeIfAbsent(m, k -> new HashSet<>()).add(key)) continue;
            families.computeIfAbsent(m, k -> new ArrayList<>()).add(s);
        }
        StringBuilder out = new StringBuilder();
        families.forEach((m, series) -> {
            out.append("# HELP ").append(m.metricName()).append(' ').append(escapeHelp(m.help())).append('\n');
            out.append("# TYPE ").append(m.metricName()).append(' ').append(m.type().text()).append('\n');
            for (StatsSample s : series) {
                switch (s) {
                    case StatsSample.Value v -> line(out, m.metricName(), v.labels(), null, number(v.value()));
                    case StatsSample.Histogram h -> histogram(out, m.metricName(), h);
                }
            }
        });
        return out.toString();
    }

    private static void histogram(StringBuilder out, String name, StatsSample.Histogram h) {
        long cumulative = 0;
        for (int i = 0; i < h.bounds().size(); i++) {
            cumulative += h.counts().get(i);
            line(out, name + "_bucket", h.labels(), bound(h.bounds().get(i)), Long.toString(cumulative));
        }
        long count = cumulative + h.counts().get(h.bounds().size());
        line(out, name + "_bucket", h.labels(), "+Inf", Long.toString(count));
        line(out, name + "_sum", h.labels(), null, number(h.sum()));
        line(out, name + "_count", h.labels(), null, Long.toString(count));
    }

    private static void line(StringBuilder out, String name, List<StatsSample.Label> labels, String le, String value) {
        out.append(name);
        if (!labels.isEmpty() || le != null) {
            out.append('{');
            boolean first = true;
            for (StatsSample.Label l : labels) {
                if (!first) out.append(',');
                out.append(l.name()).append("=\"").append(escapeLabel(l.value())).append('"');
                first = false;
            }
            if (le != null) out.append(first ? "" : ",").append("le=\"").append(le).append('"');
            out.append('}');
        }
        out.append(' ').append(value).append('\n');
    }

    /** A label value: backslash, double quote and line feed escaped. */
    static String escapeLabel(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** Help text: backslash and line feed escaped. */
    static String escapeHelp(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** A sample value: integers without a fraction, NaN and infinities as the format spells them. */
    static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    /** A bucket bound, plain decimal ("0.00005", "1"), as Prometheus clients write {@code le}. */
    static String bound(double b) {
        return BigDecimal.valueOf(b).stripTrailingZeros().toPlainString();
    }
}

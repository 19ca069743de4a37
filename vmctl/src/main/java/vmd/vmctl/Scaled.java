package vmd.vmctl;

import java.util.Locale;

/** OpenBSD's scan_scaled(3) and fmt_scaled(3): "512M", "1.5G" and back. */
final class Scaled {
    private static final String UNITS = "BKMGTPE";

    private Scaled() {}

    /** Parses a size with an optional B/K/M/G/T/P/E suffix (case-insensitive, fractions allowed). */
    static long parse(String s) {
        if (s == null || s.isEmpty()) throw new NumberFormatException("empty size");
        char last = Character.toUpperCase(s.charAt(s.length() - 1));
        int unit = UNITS.indexOf(last);
        String number = unit >= 0 ? s.substring(0, s.length() - 1) : s;
        if (unit < 0) unit = 0;
        if (number.isEmpty() || !number.matches("[0-9]+(\\.[0-9]+)?")) throw new NumberFormatException("invalid size: " + s);
        java.math.BigDecimal v = new java.math.BigDecimal(number).multiply(java.math.BigDecimal.valueOf(1L << (10 * unit)));
        if (v.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) throw new NumberFormatException("size too large: " + s);
        return v.longValue();
    }

    /** fmt_scaled: "0B", "64.0M", "512M", "1.0G" (three significant digits at most). */
    static String format(long bytes) {
        long abs = Math.abs(bytes);
        int unit = 0;
        long scale = 1;
        while (unit < UNITS.length() - 1 && abs / 1024 >= scale) {
            scale *= 1024;
            unit++;
        }
        long number = bytes / scale;
        long fract = unit == 0 ? 0 : (abs % scale) / (scale / 1024);
        fract = (10 * fract + 512) / 1024;
        if (fract >= 10) {
            number += number >= 0 ? 1 : -1;
            fract = 0;
        }
        if (number == 0) return "0B";
        if (unit == 0 || number >= 100 || number <= -100) {
            if (fract >= 5) number += number >= 0 ? 1 : -1;
            return number + String.valueOf(UNITS.charAt(unit));
        }
        return String.format(Locale.ROOT, "%d.%d%c", number, fract, UNITS.charAt(unit));
    }
}

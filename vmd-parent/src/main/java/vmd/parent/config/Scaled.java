package vmd.parent.config;

/**
 * Human-readable sizes as OpenBSD's scan_scaled(3) and fmt_scaled(3) read and
 * write them: an optional sign, digits with an optional fraction, and an
 * optional unit B, K, M, G, T, P or E (either case, powers of 1024).
 */
final class Scaled {
    private Scaled() {
    }

    private static final String UNITS = "BKMGTPE";
    private static final int MAX_DIGITS = UNITS.length() * 3;

    /** Why a size could not be read: errno's strerror text. */
    static final class ScaleException extends Exception {
        private static final long serialVersionUID = 1L;

        ScaleException(String message) {
            super(message, null, false, false);
        }
    }

    private static ScaleException einval() {
        return new ScaleException("Invalid argument");
    }

    private static ScaleException erange() {
        return new ScaleException("Result too large");
    }

    static long scan(String s) throws ScaleException {
        int p = 0;
        int n = s.length();
        while (p < n && isSpace(s.charAt(p))) {
            p++;
        }
        int sign = 0;
        while (p < n && (s.charAt(p) == '-' || s.charAt(p) == '+')) {
            if (sign != 0) {
                throw einval();
            }
            sign = s.charAt(p) == '-' ? -1 : 1;
            p++;
        }
        long whole = 0;
        long fpart = 0;
        int ndigits = 0;
        int fractDigits = 0;
        for (; p < n && (isDigit(s.charAt(p)) || s.charAt(p) == '.'); p++) {
            char c = s.charAt(p);
            if (c == '.') {
                if (fractDigits > 0) {
                    throw einval();
                }
                fractDigits = 1;
                continue;
            }
            int d = c - '0';
            if (fractDigits > 0) {
                if (fractDigits >= MAX_DIGITS - 1) {
                    continue; // ignore extra fractional digits
                }
                fractDigits++;
                if (fpart > Long.MAX_VALUE / 10) {
                    throw erange();
                }
                fpart *= 10;
                if (d > Long.MAX_VALUE - fpart) {
                    throw erange();
                }
                fpart += d;
            } else {
                if (++ndigits >= MAX_DIGITS) {
                    throw erange();
                }
                if (whole > Long.MAX_VALUE / 10) {
                    throw erange();
                }
                whole *= 10;
                if (d > Long.MAX_VALUE - whole) {
                    throw erange();
                }
                whole += d;
            }
        }
        if (sign != 0) {
            whole *= sign;
        }
        if (p == n) {
            return whole;
        }
        int unit = UNITS.indexOf(Character.toUpperCase(s.charAt(p)));
        if (unit < 0 || s.charAt(p) > 127) {
            throw einval();
        }
        if (p + 1 < n && isAlnum(s.charAt(p + 1))) {
            throw einval();
        }
        long fact = 1L << (10 * unit);
        if (whole > Long.MAX_VALUE / fact || whole < Long.MIN_VALUE / fact) {
            throw erange();
        }
        whole *= fact;
        while (fpart >= Long.MAX_VALUE / fact || fpart <= Long.MIN_VALUE / fact) {
            fpart /= 10;
            fractDigits--;
        }
        fpart *= fact;
        if (fractDigits > 0) {
            for (int i = 0; i < fractDigits - 1; i++) {
                fpart /= 10;
            }
        }
        return sign == -1 ? whole - fpart : whole + fpart;
    }

    /** fmt_scaled(3): at most four significant characters and a unit, e.g. "128G", "1.5M". */
    static String format(long number) {
        if (number == Long.MIN_VALUE) {
            return Long.toString(number);
        }
        long abval = Math.abs(number);
        long[] factors = new long[UNITS.length()];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1L << (10 * i);
        }
        if (abval / 1024 >= factors[factors.length - 1]) {
            return Long.toString(number);
        }
        int unit = 0;
        long fract = 0;
        for (int i = 0; i < factors.length; i++) {
            if (abval / 1024 < factors[i]) {
                unit = i;
                fract = i == 0 ? 0 : abval % factors[i];
                number /= factors[i];
                if (i > 0) {
                    fract /= factors[i - 1];
                }
                break;
            }
        }
        fract = (10 * fract + 512) / 1024;
        if (fract >= 10) {
            number += number >= 0 ? 1 : -1;
            fract = 0;
        } else if (fract < 0) {
            fract = 0;
        }
        if (number == 0) {
            return "0B";
        }
        if (unit == 0 || number >= 100 || number <= -100) {
            if (fract >= 5) {
                number += number >= 0 ? 1 : -1;
            }
            return number + String.valueOf(UNITS.charAt(unit));
        }
        return number + "." + fract + UNITS.charAt(unit);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAlnum(char c) {
        return c < 128 && Character.isLetterOrDigit(c);
    }
}

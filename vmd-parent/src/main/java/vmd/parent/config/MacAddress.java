package vmd.parent.config;

/** A 48-bit Ethernet address, held in the low bits of a long. */
public record MacAddress(long bits) {

    public MacAddress {
        if ((bits & ~0xffff_ffff_ffffL) != 0) {
            throw new IllegalArgumentException("not a 48-bit address");
        }
    }

    public static MacAddress of(byte[] b) {
        if (b.length != 6) {
            throw new IllegalArgumentException("need 6 bytes");
        }
        long v = 0;
        for (byte x : b) {
            v = (v << 8) | (x & 0xff);
        }
        return new MacAddress(v);
    }

    /**
     * Parses like OpenBSD's ether_aton(3): six hexadecimal octets separated by
     * ':' (one or two digits each, as strtol would read them). Returns null if
     * the text is not an address.
     */
    public static MacAddress parse(String s) {
        String t = s.strip();
        String[] parts = t.split(":", -1);
        if (parts.length != 6) {
            return null;
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 2) {
                return null;
            }
            int o = 0;
            for (int i = 0; i < p.length(); i++) {
                int d = hexDigit(p.charAt(i));
                if (d < 0) {
                    return null;
                }
                o = o * 16 + d;
            }
            v = (v << 8) | o;
        }
        return new MacAddress(v);
    }

    /** An ASCII hexadecimal digit's value, else -1 (Integer.parseInt also takes "-1", "+f" and other scripts' digits). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (bits >>> (8 * (5 - i)));
        }
        return b;
    }

    public boolean isZero() {
        return bits == 0;
    }

    public boolean isMulticast() {
        return ((bits >>> 40) & 1) != 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(17);
        for (byte x : toBytes()) {
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }
}

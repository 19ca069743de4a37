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
            int o;
            try {
                o = Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                return null;
            }
            v = (v << 8) | o;
        }
        return new MacAddress(v);
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

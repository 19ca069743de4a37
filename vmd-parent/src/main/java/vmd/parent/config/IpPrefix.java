package vmd.parent.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/** An address prefix such as {@code 100.64.0.0/10} or {@code fd00::/64}. */
public record IpPrefix(InetAddress address, int length) {

    public IpPrefix {
        Objects.requireNonNull(address, "address");
    }

    @Override
    public String toString() {
        return (address instanceof Inet6Address ? compress(address.getAddress()) : address.getHostAddress())
                + "/" + length;
    }

    /** RFC 5952 text form: lower case, the longest run of two or more zero groups as "::". */
    static String compress(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8;) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}

package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ScaledTest {

    private static final long K = 1024;
    private static final long M = K * K;
    private static final long G = M * K;

    @Test
    void scan() throws Exception {
        assertEquals(10, Scaled.scan("10"));
        assertEquals(10, Scaled.scan("10B"));
        assertEquals(K, Scaled.scan("1K"));
        assertEquals(512 * M, Scaled.scan("512M"));
        assertEquals(512 * M, Scaled.scan("512m"));
        assertEquals(G + G / 2, Scaled.scan("1.5G"));
        assertEquals(G / 4, Scaled.scan("0.25g"));
        assertEquals(2 * K * G, Scaled.scan("2T"));
        assertEquals(K * K * G, Scaled.scan("1P"));
        assertEquals(-2 * K, Scaled.scan("-2K"));
        assertEquals(2 * K, Scaled.scan("+2K"));
        assertEquals(3 * M, Scaled.scan("  3M"));
        assertEquals(1, Scaled.scan("1.5"));
        assertEquals(0, Scaled.scan(""));
        assertEquals(0, Scaled.scan("K"));
        // a unit may be followed by punctuation, not by a letter or digit
        assertEquals(M, Scaled.scan("1M."));
    }

    @Test
    void scanErrors() {
        for (String bad : new String[] {"1X", "1MB", "1M2", "1..5", "--1", "+-1", "1 M"}) {
            Scaled.ScaleException e = assertThrows(Scaled.ScaleException.class, () -> Scaled.scan(bad), bad);
            assertEquals("Invalid argument", e.getMessage(), bad);
        }
        for (String big : new String[] {"99999999999999999999", "8E", "9999999999999G"}) {
            Scaled.ScaleException e = assertThrows(Scaled.ScaleException.class, () -> Scaled.scan(big), big);
            assertEquals("Result too large", e.getMessage(), big);
        }
    }

    @Test
    void format() {
        assertEquals("0B", Scaled.format(0));
        assertEquals("1023B", Scaled.format(1023));
        assertEquals("1.0K", Scaled.format(1024));
        assertEquals("1.5G", Scaled.format(G + G / 2));
        assertEquals("128G", Scaled.format(128 * G));
        assertEquals("512M", Scaled.format(512 * M));
        assertEquals("-2.0K", Scaled.format(-2048));
    }
}

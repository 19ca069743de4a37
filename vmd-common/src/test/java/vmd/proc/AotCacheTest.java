package vmd.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AotCacheTest {
    @Test
    void aVmsProcessesShareOneCacheAndTheControlProcessHasItsOwn() {
        String cp = "/l/jnr-constants.jar:/l/vmd-common.jar";
        for (String kind : java.util.List.of("vm", "vioblk", "vionet")) {
            assertEquals(Path.of("/l/vmd-guest.aot"), AotCache.pathFor(cp, kind), kind);
        }
        assertEquals(Path.of("/l/vmd-control.aot"), AotCache.pathFor(cp, "control"));
        assertEquals(null, AotCache.pathFor("/src/vmd-common/target/classes", "vm"), "no cache for class directories");
    }

    @Test
    void drawnBasesLieInTheRangeOn2MiBStepsAndDiffer() {
        SplittableRandom random = new SplittableRandom(7);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            long base = AotCache.randomBase(random);
            assertTrue(base >= AotCache.BASE_LOW && base < AotCache.BASE_HIGH, Long.toHexString(base));
            assertEquals(0, base % (2 << 20), Long.toHexString(base));
            seen.add(base);
        }
        // 2^25 possible bases: 10^4 draws should almost never repeat
        assertTrue(seen.size() > 9_990, "distinct bases: " + seen.size());
        assertTrue(AotCache.randomBase(new SplittableRandom(1)) != 0x8_0000_0000L, "not the JDK's default");
    }
}

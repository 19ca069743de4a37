package vmd.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The children's log-line time of day, from the parent's UTC offset and no time-zone rules. */
class ChildLogTest {
    private static String at(long epochMs, long offsetSeconds) {
        return ChildLog.timeOfDay(new StringBuilder(), epochMs, offsetSeconds * 1000).toString();
    }

    @Test
    void theTimeOfDayIsTheEpochTimePlusTheOffset() {
        long t = 1_796_000_000_123L; // 2026-11-30 00:53:20.123 UTC
        assertEquals("00:53:20.123", at(t, 0));
        assertEquals("06:23:20.123", at(t, 5 * 3600 + 1800)); // east of UTC
        assertEquals("19:53:20.123", at(t, -5 * 3600)); // west of UTC, the day before
    }

    @Test
    void midnightAndTheLastMillisecondOfTheDay() {
        assertEquals("00:00:00.000", at(0, 0));
        assertEquals("23:59:59.999", at(86_400_000L - 1, 0));
        assertEquals("23:00:00.000", at(0, -3600)); // before the epoch, west of UTC
    }

    /**
     * A child's log lines load neither the JDK's time-zone rules nor its locale data
     * (~1 MiB a process, ChildLog): the lines a device logs at start, with the JVM listing
     * every class it loads.
     */
    @Test
    void aChildsLogLinesLoadNoTimeZoneRulesOrLocaleData() throws Exception {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        argv.addAll(ChildJvmFlags.of("vionet")); // a child's JVM, with no AOT cache to hide what is loaded
        argv.addAll(List.of("-Xshare:off", "-Xlog:class+load=info:stdout", "-Dvmd.log.level=DEBUG",
                "-D" + ChildLog.UTC_OFFSET_PROPERTY + "=3600",
                "-cp", System.getProperty("java.class.path"), ChildLogProbe.class.getName()));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        assertTrue(out.contains("probe: guest memory mapped: [MemRegion[gpa=0x0 size=0x10000000 user=0x7f0000000000 offset=0x0]]"), out);
        assertTrue(out.contains("probe: VringAddr[index=0 flags=0x0 desc=0x1000 used=0x2000 avail=0x3000 log=0x0]"), out);
        for (String heavy : List.of("java.time.zone.", "sun.util.calendar.ZoneInfoFile", "sun.util.cldr.",
                "sun.util.locale.provider.LocaleResources ", "java.text.DecimalFormatSymbols ")) {
            assertTrue(out.lines().noneMatch(l -> l.contains("[class,load] " + heavy)), heavy + " was loaded:\n" + out);
        }
    }
}

package vmd.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}

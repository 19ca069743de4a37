package vmd.vm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.vm.devices.CmosRtc.BootDevice;
import vmd.vm.devices.CmosRtc.Config;

class CmosRtcTest {
    private static final long MIB = 1L << 20, GIB = 1L << 30;

    private static int cmos(CmosRtc rtc, int reg) {
        rtc.write(CmosRtc.INDEX_PORT, 1, reg | 0x80); // with the NMI-mask bit, as firmware writes it
        return rtc.read(CmosRtc.DATA_PORT, 1);
    }

    private static int word(CmosRtc rtc, int lo) {
        return cmos(rtc, lo) | cmos(rtc, lo + 1) << 8;
    }

    private static int above4g(CmosRtc rtc) {
        return cmos(rtc, 0x5b) | cmos(rtc, 0x5c) << 8 | cmos(rtc, 0x5d) << 16;
    }

    @Test
    void memoryFields64MiB() {
        CmosRtc rtc = new CmosRtc(new Config(64 * MIB, 0, 1, List.of(BootDevice.DISK)));
        assertEquals(640, word(rtc, 0x15));
        assertEquals(63 * 1024, word(rtc, 0x17));
        assertEquals(63 * 1024, word(rtc, 0x30));
        assertEquals(48 * 16, word(rtc, 0x34)); // 48 MiB above 16 MiB in 64 KiB units
        assertEquals(0, above4g(rtc));
        assertEquals(0, cmos(rtc, 0x5f));
        assertEquals(0, cmos(rtc, 0x10));
        assertEquals(0x02, cmos(rtc, 0x14));
        assertTrue(rtc.nmiMasked());
    }

    @Test
    void memoryFields3point5GiB() {
        CmosRtc rtc = new CmosRtc(new Config(3 * GIB + 512 * MIB, 0, 4, List.of()));
        assertEquals(0xffff, word(rtc, 0x17)); // capped
        assertEquals(0xffff, word(rtc, 0x30));
        assertEquals(3568 * 16, word(rtc, 0x34)); // (3584 - 16) MiB in 64 KiB units, below the cap
        assertEquals(0, above4g(rtc));
        assertEquals(3, cmos(rtc, 0x5f));
    }

    @Test
    void memoryFields8GiB() {
        // An 8 GiB VM with a 3 GiB low region (hole for PCI) and 5 GiB above 4 GiB.
        CmosRtc rtc = new CmosRtc(new Config(3 * GIB, 5 * GIB, 2, List.of()));
        assertEquals(0xffff, word(rtc, 0x17));
        assertEquals((int) ((3 * GIB - 16 * MIB) / 65536), word(rtc, 0x34));
        assertEquals((int) (5 * GIB / 65536), above4g(rtc));
        assertEquals(0x01, cmos(rtc, 0x5d)); // 5 GiB / 64 KiB = 0x14000
        assertEquals(1, cmos(rtc, 0x5f));
    }

    @Test
    void bootOrderEncoding() {
        CmosRtc rtc = new CmosRtc(new Config(64 * MIB, 0, 1, List.of(BootDevice.CDROM, BootDevice.DISK, BootDevice.NET)));
        assertEquals(0x23, cmos(rtc, 0x3d));
        assertEquals(0x41, cmos(rtc, 0x38));
    }

    @Test
    void timeInBcdAndBinaryAnd12Hour() {
        Instant t = Instant.parse("2024-02-29T13:45:07Z"); // a Thursday
        CmosRtc rtc = new CmosRtc(new Config(64 * MIB, 0, 1, List.of()), Clock.fixed(t, ZoneOffset.UTC));
        assertEquals(0x07, cmos(rtc, 0x00));
        assertEquals(0x45, cmos(rtc, 0x02));
        assertEquals(0x13, cmos(rtc, 0x04));
        assertEquals(5, cmos(rtc, 0x06)); // Sunday = 1
        assertEquals(0x29, cmos(rtc, 0x07));
        assertEquals(0x02, cmos(rtc, 0x08));
        assertEquals(0x24, cmos(rtc, 0x09));
        assertEquals(0x20, cmos(rtc, CmosRtc.CENTURY_REGISTER));
        assertEquals(0x80, cmos(rtc, 0x0d));
        assertEquals(0x26, cmos(rtc, 0x0a)); // UIP clear away from a second boundary

        rtc.write(CmosRtc.INDEX_PORT, 1, 0x0b);
        rtc.write(CmosRtc.DATA_PORT, 1, 0x06); // binary, 24h
        assertEquals(45, cmos(rtc, 0x02));
        assertEquals(13, cmos(rtc, 0x04));
        assertEquals(24, cmos(rtc, 0x09));
        rtc.write(CmosRtc.INDEX_PORT, 1, 0x0b);
        rtc.write(CmosRtc.DATA_PORT, 1, 0x00); // BCD, 12h
        assertEquals(0x81, cmos(rtc, 0x04)); // 1 PM
    }

    @Test
    void uipOnlyJustBeforeTheSecondTicks() {
        Instant t = Instant.parse("2024-01-01T00:00:00.999900Z");
        CmosRtc rtc = new CmosRtc(new Config(64 * MIB, 0, 1, List.of()), Clock.fixed(t, ZoneOffset.UTC));
        assertEquals(0x80, cmos(rtc, 0x0a) & 0x80);
        rtc.write(CmosRtc.INDEX_PORT, 1, 0x0b);
        rtc.write(CmosRtc.DATA_PORT, 1, 0x82); // SET: updates inhibited, no UIP
        assertEquals(0, cmos(rtc, 0x0a) & 0x80);
    }

    @Test
    void guestSetsTheClock() {
        Instant t = Instant.parse("2024-02-29T13:45:07Z");
        CmosRtc rtc = new CmosRtc(new Config(64 * MIB, 0, 1, List.of()), Clock.fixed(t, ZoneOffset.UTC));
        int[][] writes = {{0x0b, 0x82}, {0x00, 0x30}, {0x02, 0x59}, {0x04, 0x23}, {0x07, 0x31}, {0x08, 0x12},
            {0x09, 0x99}, {CmosRtc.CENTURY_REGISTER, 0x19}, {0x0b, 0x02}};
        for (int[] w : writes) {
            rtc.write(CmosRtc.INDEX_PORT, 1, w[0]);
            rtc.write(CmosRtc.DATA_PORT, 1, w[1]);
        }
        assertEquals(0x30, cmos(rtc, 0x00));
        assertEquals(0x59, cmos(rtc, 0x02));
        assertEquals(0x23, cmos(rtc, 0x04));
        assertEquals(0x31, cmos(rtc, 0x07));
        assertEquals(0x12, cmos(rtc, 0x08));
        assertEquals(0x99, cmos(rtc, 0x09));
        assertEquals(0x19, cmos(rtc, CmosRtc.CENTURY_REGISTER));
        assertEquals(6, cmos(rtc, 0x06)); // 1999-12-31 was a Friday
    }

    @Test
    void nvramIsWritable() {
        CmosRtc rtc = new CmosRtc(new Config(64 * MIB, 0, 1, List.of()));
        rtc.write(CmosRtc.INDEX_PORT, 1, 0x40);
        rtc.write(CmosRtc.DATA_PORT, 1, 0xab);
        assertEquals(0xab, cmos(rtc, 0x40));
    }
}

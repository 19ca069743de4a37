package vmd.vm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AcpiPmTest {
    private final Fakes.Line sci = new Fakes.Line();
    private final Fakes.Power power = new Fakes.Power();
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final AcpiPm pm = new AcpiPm(sci, power, now::get);

    @Test
    void sciEnAlwaysSet() {
        assertEquals(1, pm.read(AcpiPm.PM1A_CNT_BLK, 2) & 1);
        pm.write(AcpiPm.PM1A_CNT_BLK, 2, 0);
        assertEquals(1, pm.read(AcpiPm.PM1A_CNT_BLK, 2) & 1);
    }

    @Test
    void powerButtonRaisesSciWhenEnabled() {
        pm.pressPowerButton();
        assertFalse(sci.level); // not enabled yet
        assertEquals(0x100, pm.read(AcpiPm.PM1A_EVT_BLK, 2) & 0x100);
        pm.write(AcpiPm.PM1A_EVT_BLK + 2, 2, 0x100); // PWRBTN_EN
        assertTrue(sci.level);
        pm.write(AcpiPm.PM1A_EVT_BLK, 2, 0x100); // write 1 to clear
        assertFalse(sci.level);
        assertEquals(0, pm.read(AcpiPm.PM1A_EVT_BLK, 2) & 0x100);
        pm.pressPowerButton();
        assertTrue(sci.level);
        pm.write(AcpiPm.PM1A_EVT_BLK, 2, 0x0001); // clearing other bits leaves it
        assertTrue(sci.level);
        assertEquals(0x100, pm.read(AcpiPm.PM1A_EVT_BLK + 2, 2));
    }

    @Test
    void s5PowersOff() {
        pm.write(AcpiPm.PM1A_CNT_BLK, 2, (3 << 10) | (1 << 13)); // S3: ignored
        assertEquals(List.of(), power.events);
        pm.write(AcpiPm.PM1A_CNT_BLK, 2, (AcpiPm.S5_SLP_TYP << 10) | (1 << 13) | 1);
        assertEquals(List.of("off:ACPI S5"), power.events);
        assertEquals(0, pm.read(AcpiPm.PM1A_CNT_BLK, 2) & (1 << 13)); // SLP_EN reads 0
        // SLP_TYP without SLP_EN does nothing.
        pm.write(AcpiPm.PM1A_CNT_BLK, 2, AcpiPm.S5_SLP_TYP << 10);
        assertEquals(1, power.events.size());
    }

    @Test
    void pmTimerCountsAt3579545Hz() {
        int t0 = pm.read(AcpiPm.PM_TMR_BLK, 4);
        now.addAndGet(1_000_000_000L);
        int t1 = pm.read(AcpiPm.PM_TMR_BLK, 4);
        assertEquals(3_579_545 & 0xffffff, (t1 - t0) & 0xffffff);
        assertEquals(0, t1 & 0xff000000);
        // Hours later the arithmetic does not overflow: 10 h from start.
        now.set(1_000_000 + 36_000L * 1_000_000_000L);
        assertEquals((36_000L * 3_579_545L) & 0xffffff, pm.read(AcpiPm.PM_TMR_BLK, 4) & 0xffffffffL);
        // TMR_STS latched after bit 23 flipped; write 1 clears.
        assertEquals(1, pm.read(AcpiPm.PM1A_EVT_BLK, 2) & 1);
        pm.write(AcpiPm.PM1A_EVT_BLK, 2, 1);
        assertEquals(0, pm.read(AcpiPm.PM1A_EVT_BLK, 2) & 1);
    }

    @Test
    void gpeStatusAndEnable() {
        pm.raiseGpe(1);
        assertFalse(sci.level);
        pm.write(AcpiPm.GPE0_BLK + 2, 1, 0x02);
        assertTrue(sci.level);
        assertEquals(0x02, pm.read(AcpiPm.GPE0_BLK, 1));
        pm.write(AcpiPm.GPE0_BLK, 1, 0x02);
        assertFalse(sci.level);
    }
}

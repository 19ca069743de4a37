package vmd.vm.devices;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACPI fixed-hardware registers — PM1a event and control blocks, the PM timer and
 * GPE0 — at the I/O ports QEMU's PIIX4 power-management function uses (hw/acpi/core.c,
 * hw/acpi/piix4.c), so the FADT reads familiarly. The FADT and DSDT builder takes every
 * number it needs from the constants here.
 *
 * <p>Registers (all little-endian, byte-addressable, any access width):
 * <pre>
 *   0x600 PM1_STS  16  write-1-to-clear: TMR_STS(0) GBL_STS(5) PWRBTN_STS(8) SLPBTN_STS(9) RTC_STS(10) WAK_STS(15)
 *   0x602 PM1_EN   16  the matching enables
 *   0x604 PM1_CNT  16  SCI_EN(0, always 1) BM_RLD(1) GBL_RLS(2) SLP_TYP(12:10) SLP_EN(13, write-only)
 *   0x608 PM_TMR   32  3.579545 MHz, 24 bits wide (FADT TMR_VAL_EXT = 0), read-only
 *   0x620 GPE0_STS 16  write-1-to-clear
 *   0x622 GPE0_EN  16
 * </pre>
 *
 * <p>SCI (ISA IRQ 9) is a level, high while any enabled status bit is set — the MADT needs
 * an interrupt source override making IRQ 9 level-triggered, active high, as QEMU's does.
 *
 * <p>ACPI is always enabled: PM1_CNT.SCI_EN reads 1 from power-on. The FADT sets
 * SMI_CMD = 0, which tells the OS the machine has no legacy (SMM) mode to leave, so it
 * never writes ACPI_ENABLE and never waits for SCI_EN to flip; with no SMM firmware there
 * is nobody who could flip it anyway. Writes cannot clear it.
 *
 * <p>Power: {@link #pressPowerButton()} sets PWRBTN_STS (and raises SCI if the OS enabled
 * PWRBTN_EN), which Linux's ACPI button driver turns into an orderly shutdown; the shutdown
 * ends with SLP_TYP = {@link #S5_SLP_TYP} and SLP_EN written to PM1_CNT, which powers the
 * machine off. Other sleep states are not supported (the DSDT declares only \_S5) and are
 * ignored with a log line.
 *
 * <p>The PM timer has no overflow interrupt: TMR_STS is set (lazily, when PM1_STS is read)
 * once bit 23 of the counter has flipped since it was last cleared, but SCI is not
 * raised for it at the moment of the flip, since no timer thread runs here. Linux uses the
 * PM timer only as a clocksource and never enables TMR_EN.
 */
public final class AcpiPm implements PortIoDevice, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(AcpiPm.class);

    /** PM1a_EVT_BLK: PM1_STS then PM1_EN, 2 bytes each (FADT PM1_EVT_LEN = 4). */
    public static final int PM1A_EVT_BLK = 0x600;
    public static final int PM1_EVT_LEN = 4;
    /** PM1a_CNT_BLK (FADT PM1_CNT_LEN = 2). */
    public static final int PM1A_CNT_BLK = 0x604;
    public static final int PM1_CNT_LEN = 2;
    /** PM_TMR_BLK (FADT PM_TMR_LEN = 4). */
    public static final int PM_TMR_BLK = 0x608;
    public static final int PM_TMR_LEN = 4;
    /** FADT flag TMR_VAL_EXT: false, the timer counts in 24 bits. */
    public static final boolean PM_TMR_VAL_EXT = false;
    /** GPE0_BLK: status then enable, 2 bytes each (FADT GPE0_BLK_LEN = 4). */
    public static final int GPE0_BLK = 0x620;
    public static final int GPE0_BLK_LEN = 4;
    /** The SCI's ISA IRQ / GSI (FADT SCI_INT); level-triggered, active high. */
    public static final int SCI_IRQ = 9;
    /** The SLP_TYP value our DSDT's \_S5 package declares (for PM1a and PM1b). */
    public static final int S5_SLP_TYP = 5;
    /** PM timer frequency in Hz, fixed by the ACPI specification. */
    public static final long PM_TIMER_HZ = 3_579_545;

    /** The port ranges to register, as {base, length} pairs: one device, three ranges. */
    public static final int[][] PORT_RANGES = {
        {PM1A_EVT_BLK, PM1_EVT_LEN}, {PM1A_CNT_BLK, PM1_CNT_LEN}, {PM_TMR_BLK, PM_TMR_LEN}, {GPE0_BLK, GPE0_BLK_LEN},
    };

    static final int TMR_STS = 1 << 0, BM_STS = 1 << 4, GBL_STS = 1 << 5, PWRBTN_STS = 1 << 8,
            SLPBTN_STS = 1 << 9, RTC_STS = 1 << 10, WAK_STS = 1 << 15;
    /** Status bits that can raise SCI when their enable (same bit in PM1_EN) is set. */
    static final int SCI_EVENTS = TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS;
    static final int SCI_EN = 1 << 0, SLP_TYP_SHIFT = 10, SLP_TYP_MASK = 7 << SLP_TYP_SHIFT, SLP_EN = 1 << 13;

    private static final long TIMER_MASK = 0xffffff;

    private final InterruptLine sci;
    private final PowerControl power;
    /** Monotonic nanoseconds (System::nanoTime in production). */
    private final LongSupplier nanos;
    private long originNanos;

    private int pm1Sts;
    private int pm1En;
    private int pm1Cnt = SCI_EN;
    private int gpeSts;
    private int gpeEn;
    /** Which 2^23-tick period the timer was in when TMR_STS was last cleared (or at start). */
    private long timerPeriodAtClear;
    private boolean sciLevel;

    public AcpiPm(InterruptLine sci, PowerControl power) {
        this(sci, power, System::nanoTime);
    }

    /** With an explicit monotonic nanosecond clock, for tests. */
    public AcpiPm(InterruptLine sci, PowerControl power, LongSupplier monotonicNanos) {
        this.sci = sci;
        this.power = power;
        this.nanos = monotonicNanos;
        this.originNanos = monotonicNanos.getAsLong();
    }

    // ---- events from the machine ----

    /** The power button was pressed (vmctl stop): the guest should shut down. */
    public synchronized void pressPowerButton() {
        pm1Sts |= PWRBTN_STS;
        if ((pm1En & PWRBTN_STS) == 0) {
            log.info("power button pressed, but the guest has not enabled the power button event (yet)");
        }
        updateSci();
    }

    /** Sets a general-purpose event status bit (0-15), raising SCI if the guest enabled it. */
    public synchronized void raiseGpe(int bit) {
        if (bit < 0 || bit > 15) throw new IllegalArgumentException("GPE0 bit " + bit);
        gpeSts |= 1 << bit;
        updateSci();
    }

    // ---- the PM timer ----

    /** Timer ticks since start (unmasked); the register shows the low 24 bits. */
    private long ticks() {
        long elapsed = nanos.getAsLong() - originNanos;
        // elapsed * 3579545 / 1e9 without overflowing (the plain product overflows after ~43 minutes).
        long seconds = elapsed / 1_000_000_000L;
        long rest = elapsed % 1_000_000_000L;
        return seconds * PM_TIMER_HZ + rest * PM_TIMER_HZ / 1_000_000_000L;
    }

    // ---- port I/O ----

    @Override
    public synchronized int read(int port, int size) {
        if (port >= PM_TMR_BLK && port < PM_TMR_BLK + PM_TMR_LEN) {
            // Sample the counter once per access so a 32-bit read is coherent.
            long timer = ticks() & TIMER_MASK;
            return (int) ((timer >>> (8 * (port - PM_TMR_BLK))) & mask(size));
        }
        if (port >= PM1A_EVT_BLK && port < PM1A_EVT_BLK + PM1_EVT_LEN) latchTimerStatus();
        int value = 0;
        for (int i = 0; i < size; i++) value |= readByte(port + i) << (8 * i);
        return value;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        for (int i = 0; i < size; i++) writeByte(port + i, (value >>> (8 * i)) & 0xff);
        updateSci();
    }

    private static long mask(int size) {
        return size >= 4 ? 0xffffffffL : (1L << (8 * size)) - 1;
    }

    private void latchTimerStatus() {
        if ((ticks() >>> 23) != timerPeriodAtClear) {
            pm1Sts |= TMR_STS;
            updateSci();
        }
    }

    private int readByte(int port) {
        return switch (port) {
            case PM1A_EVT_BLK -> pm1Sts & 0xff;
            case PM1A_EVT_BLK + 1 -> pm1Sts >>> 8;
            case PM1A_EVT_BLK + 2 -> pm1En & 0xff;
            case PM1A_EVT_BLK + 3 -> pm1En >>> 8;
            case PM1A_CNT_BLK -> (pm1Cnt | SCI_EN) & 0xff;
            case PM1A_CNT_BLK + 1 -> (pm1Cnt & ~SLP_EN) >>> 8;
            case GPE0_BLK -> gpeSts & 0xff;
            case GPE0_BLK + 1 -> gpeSts >>> 8;
            case GPE0_BLK + 2 -> gpeEn & 0xff;
            case GPE0_BLK + 3 -> gpeEn >>> 8;
            default -> 0xff;
        };
    }

    private void writeByte(int port, int b) {
        switch (port) {
            case PM1A_EVT_BLK -> clearPm1Sts(b);
            case PM1A_EVT_BLK + 1 -> clearPm1Sts(b << 8);
            case PM1A_EVT_BLK + 2 -> pm1En = (pm1En & 0xff00) | b;
            case PM1A_EVT_BLK + 3 -> pm1En = (pm1En & 0x00ff) | (b << 8);
            case PM1A_CNT_BLK -> pm1Cnt = (pm1Cnt & 0xff00) | b | SCI_EN;
            case PM1A_CNT_BLK + 1 -> writeCntHigh(b);
            case GPE0_BLK -> gpeSts &= ~b;
            case GPE0_BLK + 1 -> gpeSts &= ~(b << 8);
            case GPE0_BLK + 2 -> gpeEn = (gpeEn & 0xff00) | b;
            case GPE0_BLK + 3 -> gpeEn = (gpeEn & 0x00ff) | (b << 8);
            default -> { } // the timer is read-only
        }
    }

    private void clearPm1Sts(int bits) {
        if ((bits & TMR_STS) != 0) timerPeriodAtClear = ticks() >>> 23;
        pm1Sts &= ~bits;
    }

    /** PM1_CNT bits 15:8: SLP_TYP and SLP_EN live here, so one byte write carries a sleep request. */
    private void writeCntHigh(int b) {
        int value = (pm1Cnt & 0x00ff) | (b << 8);
        pm1Cnt = value & ~SLP_EN; // SLP_EN is write-only and self-clearing
        if ((value & SLP_EN) == 0) return;
        int slpTyp = (value & SLP_TYP_MASK) >>> SLP_TYP_SHIFT;
        if (slpTyp == S5_SLP_TYP) {
            power.powerOff("ACPI S5");
        } else {
            log.info("guest requested ACPI sleep type {}; only S5 (SLP_TYP {}) is supported, ignored", slpTyp, S5_SLP_TYP);
        }
    }

    private void updateSci() {
        boolean level = (pm1Sts & pm1En & SCI_EVENTS) != 0 || (gpeSts & gpeEn) != 0;
        if (level != sciLevel) {
            sciLevel = level;
            sci.set(level);
        }
    }

    // ---- snapshot ----

    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        out.u32(pm1Sts).u32(pm1En).u32(pm1Cnt).u32(gpeSts).u32(gpeEn).u64(timerPeriodAtClear).u64(ticks());
    }

    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        pm1Sts = in.u32() & 0xffff;
        pm1En = in.u32() & 0xffff;
        pm1Cnt = in.u32() & 0xffff;
        gpeSts = in.u32() & 0xff;
        gpeEn = in.u32() & 0xff;
        timerPeriodAtClear = in.u64();
        long ticks = in.u64();
        // the PM timer goes on from the value the guest last could read, not from zero
        originNanos = nanos.getAsLong() - (ticks / PM_TIMER_HZ * 1_000_000_000L + ticks % PM_TIMER_HZ * 1_000_000_000L / PM_TIMER_HZ);
        sciLevel = false;
        updateSci();
    }
}

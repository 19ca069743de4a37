package vmd.vm.devices;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MC146818 real-time clock and its CMOS RAM at ports 0x70 (index) / 0x71 (data),
 * modelled on OpenBSD vmd's mc146818.c and QEMU's hw/rtc/mc146818rtc.c plus the CMOS
 * layout QEMU's PC machine (pc_cmos_init) fills in for SeaBIOS.
 *
 * <p>Time is the host's real time in UTC, read when the guest reads a clock register, so
 * there is no ticking state to keep. A guest that sets the clock (hwclock --systohc, NTP's
 * 11-minute mode) moves an offset from host time instead: while register B.SET is 1 writes
 * collect in a shadow copy (the chip's "updates inhibited" state) and clearing SET
 * commits them; a write with SET clear takes effect at once.
 *
 * <p>Register A.UIP reads 1 only in the last 244 µs before each host second boundary —
 * the window in which a real part warns that the time registers are about to change — and
 * never while B.SET inhibits updates, so a guest waiting for UIP to clear never waits for
 * long, and one timing the 1→0 edge (old kernels did, to find the start of a second)
 * still finds it.
 *
 * <p>Interrupts: this device drives no IRQ 8. Linux only reads the time here (it keeps
 * time with the LAPIC/TSC/kvmclock), and SeaBIOS does not need RTC interrupts. A guest may
 * still enable them in register B; they are stored and read back but never raised.
 * Register C reports the update-ended flag (UF) when a second boundary has passed since
 * the guest last read C, and the periodic flag (PF) when the periodic rate is non-zero
 * and time has passed, so code that polls C instead of taking the interrupt still
 * progresses; IRQF is set if such a flag is also enabled in B. Alarms are never flagged.
 */
public final class CmosRtc implements PortIoDevice, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(CmosRtc.class);

    public static final int INDEX_PORT = 0x70;
    public static final int DATA_PORT = 0x71;
    public static final int PORT_COUNT = 2;
    /** The ISA IRQ of a real RTC; not driven by this model, but what the MADT/DSDT may mention. */
    public static final int RTC_IRQ = 8;
    /** The CMOS byte holding the BCD century; the FADT's CENTURY field must name it. */
    public static final int CENTURY_REGISTER = 0x32;

    static final int SECONDS = 0x00, SECONDS_ALARM = 0x01, MINUTES = 0x02, MINUTES_ALARM = 0x03,
            HOURS = 0x04, HOURS_ALARM = 0x05, DAY_OF_WEEK = 0x06, DAY_OF_MONTH = 0x07, MONTH = 0x08, YEAR = 0x09;
    static final int REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d;
    static final int A_UIP = 0x80;
    static final int B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM_BINARY = 0x04, B_24H = 0x02;
    static final int C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
    static final int D_VRT = 0x80;

    /** CMOS bytes firmware reads (QEMU's pc_cmos_init layout). */
    static final int CMOS_FLOPPY = 0x10, CMOS_EQUIPMENT = 0x14, CMOS_BASE_MEM_LO = 0x15, CMOS_BASE_MEM_HI = 0x16,
            CMOS_EXT_MEM_LO = 0x17, CMOS_EXT_MEM_HI = 0x18, CMOS_CHECKSUM_HI = 0x2e, CMOS_CHECKSUM_LO = 0x2f,
            CMOS_EXT_MEM2_LO = 0x30, CMOS_EXT_MEM2_HI = 0x31, CMOS_MEM_ABOVE_16M_LO = 0x34,
            CMOS_MEM_ABOVE_16M_HI = 0x35, CMOS_BOOT_ORDER_3 = 0x38, CMOS_BOOT_ORDER_12 = 0x3d,
            CMOS_MEM_ABOVE_4G = 0x5b, CMOS_CPU_COUNT = 0x5f;

    private static final long UIP_WINDOW_NANOS = 244_000;
    private static final long MIB = 1L << 20, KIB = 1024, UNIT_64K = 64 * 1024;

    /** A boot device in QEMU's CMOS boot-order encoding (SeaBIOS reads 0x3d/0x38 when fw_cfg has no bootorder). */
    public enum BootDevice {
        FLOPPY(1), DISK(2), CDROM(3), NET(4);

        final int code;

        BootDevice(int code) {
            this.code = code;
        }
    }

    /**
     * What the firmware is told: RAM below 4 GiB (including the first MiB), RAM mapped above
     * 4 GiB, the vCPU count and up to three boot devices in order.
     */
    public record Config(long ramBelow4G, long ramAbove4G, int cpus, List<BootDevice> bootOrder) {
        public Config {
            if (ramBelow4G < MIB || ramBelow4G > (4L << 30) || ramAbove4G < 0) {
                throw new IllegalArgumentException("bad RAM sizes: below 4G " + ramBelow4G + ", above " + ramAbove4G);
            }
            if (cpus < 1 || cpus > 256) throw new IllegalArgumentException("bad cpu count " + cpus);
            if (bootOrder.size() > 3) throw new IllegalArgumentException("at most 3 CMOS boot devices");
            bootOrder = List.copyOf(bootOrder);
        }
    }

    private final Clock clock;
    private final byte[] cmos = new byte[128];
    private int index;
    private boolean nmiMasked;

    private int regA = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate (the usual power-on value)
    private int regB = B_24H; // 24-hour BCD, no interrupts: what a BIOS leaves behind
    /** Guest time minus host time, in seconds. */
    private long offsetSeconds;
    /** The time registers as the guest wrote them while SET was 1 (null when not setting). */
    private int[] shadow;
    private long lastCReadSecond;
    private long lastCReadNanos;

    public CmosRtc(Config config) {
        this(config, Clock.systemUTC());
    }

    /** With an explicit clock, for tests. */
    public CmosRtc(Config config, Clock clock) {
        this.clock = clock;
        fillNvram(config);
        Instant now = clock.instant();
        lastCReadSecond = now.getEpochSecond();
        lastCReadNanos = System.nanoTime();
    }

    private void fillNvram(Config c) {
        cmos[CMOS_FLOPPY] = 0; // no floppy drives
        // Equipment byte: bit 1 = FPU present; no floppies (bit 0), display bits 5:4 = 00
        // ("EGA/VGA or none"); we have neither a PS/2 mouse nor VGA, so bit 2 stays clear.
        cmos[CMOS_EQUIPMENT] = 0x02;
        setWord(CMOS_BASE_MEM_LO, 640); // KiB of conventional memory
        long ext = Math.min((c.ramBelow4G() - MIB) / KIB, 0xffff); // KiB above 1 MiB
        setWord(CMOS_EXT_MEM_LO, (int) ext);
        setWord(CMOS_EXT_MEM2_LO, (int) ext);
        long above16m = c.ramBelow4G() > 16 * MIB ? Math.min((c.ramBelow4G() - 16 * MIB) / UNIT_64K, 0xffff) : 0;
        setWord(CMOS_MEM_ABOVE_16M_LO, (int) above16m);
        long above4g = c.ramAbove4G() / UNIT_64K; // 24 bits of 64 KiB units: up to 1 TiB
        if (above4g > 0xffffff) above4g = 0xffffff;
        cmos[CMOS_MEM_ABOVE_4G] = (byte) above4g;
        cmos[CMOS_MEM_ABOVE_4G + 1] = (byte) (above4g >>> 8);
        cmos[CMOS_MEM_ABOVE_4G + 2] = (byte) (above4g >>> 16);
        cmos[CMOS_CPU_COUNT] = (byte) (c.cpus() - 1);
        int[] order = new int[3];
        for (int i = 0; i < c.bootOrder().size(); i++) order[i] = c.bootOrder().get(i).code;
        cmos[CMOS_BOOT_ORDER_12] = (byte) ((order[1] << 4) | order[0]);
        // Low bit of 0x38 set = skip the floppy boot-signature check (we have no floppy).
        cmos[CMOS_BOOT_ORDER_3] = (byte) ((order[2] << 4) | 1);
        // Standard checksum over 0x10-0x2d, big-endian at 0x2e/0x2f (QEMU leaves it 0; a real BIOS checks it).
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) sum += cmos[i] & 0xff;
        cmos[CMOS_CHECKSUM_HI] = (byte) (sum >>> 8);
        cmos[CMOS_CHECKSUM_LO] = (byte) sum;
    }

    private void setWord(int lo, int value) {
        cmos[lo] = (byte) value;
        cmos[lo + 1] = (byte) (value >>> 8);
    }

    // ---- port I/O ----

    @Override
    public synchronized int read(int port, int size) {
        int v;
        if (port == DATA_PORT) {
            v = readRegister(index);
        } else {
            v = 0xff; // the index port is write-only
        }
        // A wider access (never done by real code) repeats the byte rather than invent neighbours.
        return size == 1 ? v : v * (size == 2 ? 0x0101 : 0x01010101);
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        if (port == INDEX_PORT) {
            index = value & 0x7f;
            nmiMasked = (value & 0x80) != 0; // NMI masking: remembered, nothing else to do (no NMIs)
        } else if (port == DATA_PORT) {
            writeRegister(index, value & 0xff);
        }
    }

    /** Whether the guest's last index write had bit 7 (NMI disable) set. */
    public synchronized boolean nmiMasked() {
        return nmiMasked;
    }

    private int readRegister(int reg) {
        if (reg <= YEAR || reg == CENTURY_REGISTER) {
            if (reg == SECONDS_ALARM || reg == MINUTES_ALARM || reg == HOURS_ALARM) return cmos[reg] & 0xff;
            int[] t = shadow != null ? shadow : timeFields(clock.instant().getEpochSecond() + offsetSeconds);
            return encode(reg, t);
        }
        switch (reg) {
            case REG_A: {
                int v = regA & ~A_UIP;
                if ((regB & B_SET) == 0 && clock.instant().getNano() >= 1_000_000_000L - UIP_WINDOW_NANOS) v |= A_UIP;
                return v;
            }
            case REG_B:
                return regB;
            case REG_C:
                return readC();
            case REG_D:
                return D_VRT; // battery good, RAM and time valid
            default:
                return cmos[reg] & 0xff;
        }
    }

    private int readC() {
        long second = clock.instant().getEpochSecond();
        long nanos = System.nanoTime();
        int flags = 0;
        if (second != lastCReadSecond) flags |= C_UF;
        if ((regA & 0x0f) != 0 && nanos != lastCReadNanos) flags |= C_PF;
        lastCReadSecond = second;
        lastCReadNanos = nanos;
        int enabled = regB & (B_PIE | B_AIE | B_UIE); // same bit positions as C's flags
        if ((flags & enabled) != 0) flags |= C_IRQF;
        return flags;
    }

    private void writeRegister(int reg, int v) {
        if (reg == SECONDS_ALARM || reg == MINUTES_ALARM || reg == HOURS_ALARM) {
            cmos[reg] = (byte) v;
            return;
        }
        if (reg <= YEAR || reg == CENTURY_REGISTER) {
            int[] t = shadow != null ? shadow : timeFields(clock.instant().getEpochSecond() + offsetSeconds);
            decodeInto(reg, v, t);
            if (shadow == null) commit(t);
            return;
        }
        switch (reg) {
            case REG_A:
                regA = v & 0x7f; // UIP is read-only
                break;
            case REG_B: {
                boolean wasSetting = (regB & B_SET) != 0;
                boolean setting = (v & B_SET) != 0;
                if (!wasSetting && setting) {
                    shadow = timeFields(clock.instant().getEpochSecond() + offsetSeconds);
                } else if (wasSetting && !setting) {
                    int[] t = shadow;
                    shadow = null;
                    commit(t);
                }
                if ((v & (B_PIE | B_AIE | B_UIE)) != 0 && (regB & (B_PIE | B_AIE | B_UIE)) == 0) {
                    log.debug("guest enabled RTC interrupts (B=0x{}); they are not generated", Integer.toHexString(v));
                }
                regB = v;
                break;
            }
            case REG_C:
            case REG_D:
                break; // read-only
            default:
                cmos[reg] = (byte) v;
        }
    }

    // ---- time fields: {sec, min, hour(0-23), dow(1-7, Sunday=1), day, month, year(full)} ----

    private static final int F_SEC = 0, F_MIN = 1, F_HOUR = 2, F_DOW = 3, F_DAY = 4, F_MONTH = 5, F_YEAR = 6;

    private static int[] timeFields(long epochSecond) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        return new int[] {t.getSecond(), t.getMinute(), t.getHour(), t.getDayOfWeek().getValue() % 7 + 1,
                t.getDayOfMonth(), t.getMonthValue(), t.getYear()};
    }

    /** Fields back to epoch seconds, leniently (a half-written date such as 31 February rolls over). */
    private static long toEpoch(int[] f) {
        int month = Math.max(1, Math.min(12, f[F_MONTH]));
        LocalDateTime t = LocalDate.of(Math.max(0, f[F_YEAR]), month, 1).atStartOfDay()
                .plusDays(Math.max(1, f[F_DAY]) - 1L).plusHours(f[F_HOUR]).plusMinutes(f[F_MIN]).plusSeconds(f[F_SEC]);
        return t.toEpochSecond(ZoneOffset.UTC);
    }

    private void commit(int[] fields) {
        offsetSeconds = toEpoch(fields) - clock.instant().getEpochSecond();
    }

    private boolean binary() {
        return (regB & B_DM_BINARY) != 0;
    }

    private int toGuest(int value) {
        return binary() ? value : ((value / 10) << 4) | (value % 10);
    }

    private int fromGuest(int value) {
        return binary() ? value : ((value >>> 4) & 0x0f) * 10 + (value & 0x0f);
    }

    private int encode(int reg, int[] t) {
        switch (reg) {
            case SECONDS:
                return toGuest(t[F_SEC]);
            case MINUTES:
                return toGuest(t[F_MIN]);
            case HOURS: {
                if ((regB & B_24H) != 0) return toGuest(t[F_HOUR]);
                // 12-hour mode: 12, 1..11 with bit 7 flagging PM.
                int h = t[F_HOUR] % 12 == 0 ? 12 : t[F_HOUR] % 12;
                return toGuest(h) | (t[F_HOUR] >= 12 ? 0x80 : 0);
            }
            case DAY_OF_WEEK:
                return toGuest(t[F_DOW]);
            case DAY_OF_MONTH:
                return toGuest(t[F_DAY]);
            case MONTH:
                return toGuest(t[F_MONTH]);
            case YEAR:
                return toGuest(Math.floorMod(t[F_YEAR], 100));
            case CENTURY_REGISTER:
                return toGuest(Math.floorDiv(t[F_YEAR], 100));
            default:
                return 0;
        }
    }

    private void decodeInto(int reg, int v, int[] t) {
        switch (reg) {
            case SECONDS -> t[F_SEC] = fromGuest(v & 0x7f);
            case MINUTES -> t[F_MIN] = fromGuest(v & 0x7f);
            case HOURS -> {
                if ((regB & B_24H) != 0) {
                    t[F_HOUR] = fromGuest(v & 0x7f);
                } else {
                    int h = fromGuest(v & 0x7f) % 12;
                    t[F_HOUR] = (v & 0x80) != 0 ? h + 12 : h;
                }
            }
            case DAY_OF_WEEK -> t[F_DOW] = fromGuest(v); // derived from the date; kept only until commit
            case DAY_OF_MONTH -> t[F_DAY] = fromGuest(v);
            case MONTH -> t[F_MONTH] = fromGuest(v);
            case YEAR -> t[F_YEAR] = Math.floorDiv(t[F_YEAR], 100) * 100 + fromGuest(v) % 100;
            case CENTURY_REGISTER -> t[F_YEAR] = fromGuest(v) * 100 + Math.floorMod(t[F_YEAR], 100);
            default -> { }
        }
    }

    // ---- snapshot ----

    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        out.bytes(cmos).u32(index).bool(nmiMasked).u32(regA).u32(regB).u64(offsetSeconds);
        out.bool(shadow != null);
        if (shadow != null) out.ints(shadow);
    }

    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        byte[] nvram = in.bytes(cmos.length);
        System.arraycopy(nvram, 0, cmos, 0, cmos.length);
        index = in.u32(0, 0x7f, "index");
        nmiMasked = in.bool();
        regA = in.u32() & 0xff;
        regB = in.u32() & 0xff;
        // the guest's offset from real time: a guest that set its clock keeps that setting
        offsetSeconds = in.u64();
        shadow = in.bool() ? in.ints(timeFields(0).length) : null;
    }
}

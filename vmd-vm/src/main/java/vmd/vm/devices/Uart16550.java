package vmd.vm.devices;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An NS16550A UART, the PC's COM1 (ports 0x3f8-0x3ff, ISA IRQ 4), modelled on OpenBSD
 * vmd's ns8250.c and QEMU's hw/char/serial.c.
 *
 * <p>What the guest sees: a UART whose transmitter is infinitely fast. A byte written to
 * THR goes straight to the {@link ConsoleOutput} and THR/TSR are empty again before the
 * {@code out} instruction retires, so LSR.THRE and LSR.TEMT always read 1 and a guest that
 * polls THRE never waits. The THR-empty <em>interrupt</em> still behaves like hardware,
 * because Linux's 8250 driver depends on it: it becomes pending when THR empties (after
 * every transmitted byte, and immediately when the guest enables IER.ETBEI while THR is
 * empty — Linux's startup "THRE test" checks exactly that), and reading IIR while it is the
 * reported source, or writing THR, clears it.
 *
 * <p>The receiver has a real 16-byte FIFO (one byte when FIFOs are disabled) filled by
 * {@link #receive} / {@link #offer} from a console reader thread. There is no baud-rate
 * timing at all: the divisor latch is stored and read back but paces nothing, and the
 * FIFO's character-timeout interrupt is reported at once when data sits below the
 * trigger level (IIR = 0xCC) instead of after four character times; drivers treat a
 * timeout exactly like "data available", so nothing waits on a timer that does not exist.
 *
 * <p>Interrupt line: like QEMU we drive IRQ 4 as a level — high while an enabled
 * condition is pending, low otherwise — and, again like QEMU, we ignore MCR.OUT2 (which
 * gates the IRQ on a real PC board). The level is recomputed after every register access
 * and only changes of level reach the {@link InterruptLine}; after each transmitted byte
 * the line drops and rises again, which gives the edge-triggered PIC/IOAPIC input one
 * edge per THR-empty event, as QEMU does.
 *
 * <p>Threads: vCPU threads call {@link #read}/{@link #write}; a console reader thread calls
 * {@link #receive}/{@link #offer}; anyone may call {@link #recentOutput}. All state is
 * guarded by this object's monitor; the interrupt line and the output sink are called
 * with it held, so the line's level and the order of output bytes always follow the
 * order of register accesses. The output sink must therefore not block (see
 * {@link ConsoleOutput}), nor call back into the UART.
 */
public final class Uart16550 implements PortIoDevice, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(Uart16550.class);

    /** COM1's I/O base, register count and ISA IRQ. */
    public static final int COM1_BASE = 0x3f8;
    public static final int PORT_COUNT = 8;
    public static final int COM1_IRQ = 4;

    /** Bytes of console output kept for {@link #recentOutput()}. */
    public static final int OUTPUT_LOG_SIZE = 64 * 1024;
    static final int FIFO_SIZE = 16;

    // Register offsets from the base port.
    static final int RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

    static final int IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08;
    static final int IIR_NO_INT = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06,
            IIR_CTI = 0x0c, IIR_FIFOS_ENABLED = 0xc0;
    static final int FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02, FCR_CLEAR_TX = 0x04;
    static final int LCR_DLAB = 0x80;
    static final int MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
    static final int LSR_DR = 0x01, LSR_OE = 0x02, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    static final int MSR_DCTS = 0x01, MSR_DDSR = 0x02, MSR_TERI = 0x04, MSR_DDCD = 0x08,
            MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80, MSR_DELTAS = 0x0f;

    /** RX trigger levels selected by FCR bits 7:6. */
    private static final int[] TRIGGER_LEVELS = {1, 4, 8, 14};

    private final int base;
    private final InterruptLine irq;
    private final ConsoleOutput output;

    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int dll = 12; // 9600 baud, a conventional power-on value; nothing uses it
    private int dlm;
    private boolean fifoEnabled;
    private int triggerLevel = 1;
    /** Error bits of LSR (OE, BI): set by events, cleared by reading LSR. */
    private int lsrErrors;
    /** MSR: line states in bits 7:4, delta bits 3:0 (cleared by reading MSR). */
    private int msr = MSR_DCD | MSR_DSR | MSR_CTS;
    /** THR-empty interrupt pending (the only TX state: THR itself is always empty). */
    private boolean thrPending;
    private boolean irqLevel;

    private final byte[] rx = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int roomWaiters;

    private long droppedInput;
    private boolean droppedInputLogged;

    private final byte[] outLog = new byte[OUTPUT_LOG_SIZE];
    private long outTotal;

    /** A UART at {@code base} (normally {@link #COM1_BASE}) raising {@code irq}, transmitting to {@code output}. */
    public Uart16550(int base, InterruptLine irq, ConsoleOutput output) {
        this.base = base;
        this.irq = irq;
        this.output = output;
    }

    // ---- port I/O from vCPU threads ----

    /** Registers are 8 bits wide; a wider access touches consecutive registers, lowest first. */
    @Override
    public synchronized int read(int port, int size) {
        int value = 0;
        for (int i = 0; i < size; i++) {
            int offset = port + i - base;
            int b = offset >= 0 && offset < PORT_COUNT ? readRegister(offset) : 0xff;
            value |= b << (8 * i);
        }
        updateIrq();
        return value;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        for (int i = 0; i < size; i++) {
            int offset = port + i - base;
            if (offset >= 0 && offset < PORT_COUNT) writeRegister(offset, (value >>> (8 * i)) & 0xff);
        }
        updateIrq();
    }

    private int readRegister(int offset) {
        switch (offset) {
            case RBR_THR:
                if ((lcr & LCR_DLAB) != 0) return dll;
                return popRx();
            case IER:
                if ((lcr & LCR_DLAB) != 0) return dlm;
                return ier;
            case IIR_FCR: {
                int source = pendingSource();
                // Reading IIR while it reports THR empty is how that interrupt is acknowledged.
                if (source == IIR_THRI) thrPending = false;
                return source | (fifoEnabled ? IIR_FIFOS_ENABLED : 0);
            }
            case LCR:
                return lcr;
            case MCR:
                return mcr;
            case LSR: {
                int v = lsrErrors | LSR_THRE | LSR_TEMT | (rxCount > 0 ? LSR_DR : 0);
                lsrErrors = 0;
                return v;
            }
            case MSR: {
                int v = msr;
                msr &= ~MSR_DELTAS;
                return v;
            }
            case SCR:
                return scr;
            default:
                return 0xff;
        }
    }

    private void writeRegister(int offset, int v) {
        switch (offset) {
            case RBR_THR:
                if ((lcr & LCR_DLAB) != 0) dll = v;
                else transmit((byte) v);
                break;
            case IER:
                if ((lcr & LCR_DLAB) != 0) {
                    dlm = v;
                } else {
                    // Bits 7:4 are reserved and read 0 on a 16550A; Linux's autoconfig writes
                    // 0x0f and 0x00 and checks they read back exactly, and writes 0x40 (the
                    // XScale UUE bit) expecting it NOT to stick.
                    int changed = (ier ^ v) & IER_THRI;
                    ier = v & 0x0f;
                    if (changed != 0) thrPending = (ier & IER_THRI) != 0; // THR is always empty
                }
                break;
            case IIR_FCR:
                writeFcr(v);
                break;
            case LCR:
                lcr = v;
                break;
            case MCR:
                mcr = v & 0x1f;
                updateModemLines();
                break;
            case LSR:
            case MSR:
                break; // read-only (factory test registers on real parts)
            case SCR:
                scr = v;
                break;
            default:
                break;
        }
    }

    private void writeFcr(int v) {
        boolean enable = (v & FCR_ENABLE) != 0;
        if (enable != fifoEnabled) {
            // A 16550 resets both FIFOs whenever FIFO mode is switched.
            clearRx();
            fifoEnabled = enable;
        }
        if (!fifoEnabled) return; // the other FCR bits only act with FIFOs enabled
        if ((v & FCR_CLEAR_RX) != 0) clearRx();
        if ((v & FCR_CLEAR_TX) != 0) thrPending = true; // TX FIFO reset leaves THR empty
        triggerLevel = TRIGGER_LEVELS[(v >>> 6) & 3];
    }

    private void transmit(byte b) {
        // THR is written: its empty interrupt is acknowledged, and the line falls...
        thrPending = false;
        updateIrq();
        if ((mcr & MCR_LOOP) != 0) {
            // Loopback: the transmitter feeds our own receiver and nothing leaves the chip.
            if (!pushRx(b)) lsrErrors |= LSR_OE;
        } else {
            output.write(b);
            outLog[(int) (outTotal % OUTPUT_LOG_SIZE)] = b;
            outTotal++;
        }
        // ...and rises again: the byte is gone and THR is empty once more.
        thrPending = true;
    }

    /**
     * The modem status inputs. In loopback the outputs are wired back internally (RTS→CTS,
     * DTR→DSR, OUT1→RI, OUT2→DCD), which Linux's autoconfig checks by writing MCR = LOOP|OUT2|RTS
     * and expecting MSR & 0xf0 == 0x90. Otherwise the "cable" is a pty with carrier and
     * the peer always ready: DCD, DSR and CTS set, as QEMU reports for a pty backend.
     */
    private void updateModemLines() {
        int lines;
        if ((mcr & MCR_LOOP) != 0) {
            lines = ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0) | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                    | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0) | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
        } else {
            lines = MSR_DCD | MSR_DSR | MSR_CTS;
        }
        int old = msr & 0xf0;
        int delta = msr & MSR_DELTAS;
        int changed = old ^ lines;
        if ((changed & MSR_CTS) != 0) delta |= MSR_DCTS;
        if ((changed & MSR_DSR) != 0) delta |= MSR_DDSR;
        if ((changed & MSR_DCD) != 0) delta |= MSR_DDCD;
        if ((old & MSR_RI) != 0 && (lines & MSR_RI) == 0) delta |= MSR_TERI; // trailing edge only
        msr = lines | delta;
        if (changed != 0) wakeRoomWaiters(); // leaving loopback reconnects the receiver
    }

    /** The highest-priority pending, enabled interrupt source as IIR bits 3:0. */
    private int pendingSource() {
        if ((ier & IER_RLSI) != 0 && (lsrErrors & (LSR_OE | LSR_BI)) != 0) return IIR_RLSI;
        if ((ier & IER_RDI) != 0 && rxCount > 0) {
            return fifoEnabled && rxCount < triggerLevel ? IIR_CTI : IIR_RDI;
        }
        if ((ier & IER_THRI) != 0 && thrPending) return IIR_THRI;
        if ((ier & IER_MSI) != 0 && (msr & MSR_DELTAS) != 0) return IIR_MSI;
        return IIR_NO_INT;
    }

    private void updateIrq() {
        boolean level = pendingSource() != IIR_NO_INT;
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    // ---- receive FIFO ----

    private int rxCapacity() {
        return fifoEnabled ? FIFO_SIZE : 1;
    }

    private boolean pushRx(byte b) {
        if (rxCount >= rxCapacity()) return false;
        rx[(rxHead + rxCount) % FIFO_SIZE] = b;
        rxCount++;
        return true;
    }

    private int popRx() {
        if (rxCount == 0) return 0;
        int b = rx[rxHead] & 0xff;
        rxHead = (rxHead + 1) % FIFO_SIZE;
        rxCount--;
        wakeRoomWaiters();
        return b;
    }

    private void clearRx() {
        rxHead = 0;
        rxCount = 0;
        wakeRoomWaiters();
    }

    private void wakeRoomWaiters() {
        if (roomWaiters > 0) notifyAll();
    }

    /** Whether an external byte could be received now (in loopback the serial input is disconnected). */
    private boolean hasRoom() {
        return (mcr & MCR_LOOP) == 0 && rxCount < rxCapacity();
    }

    // ---- input from the console reader thread ----

    /**
     * Bytes arriving on the serial line. What does not fit in the receive FIFO is dropped,
     * counted and flagged to the guest as an overrun (LSR.OE), as hardware would; a byte
     * arriving in loopback mode is lost. Returns how many bytes were accepted.
     */
    public synchronized int receive(byte[] data, int len) {
        int accepted = 0;
        for (int i = 0; i < len; i++) {
            if (hasRoom()) {
                pushRx(data[i]);
                accepted++;
            }
        }
        if (accepted < len) {
            droppedInput += len - accepted;
            lsrErrors |= LSR_OE;
            if (!droppedInputLogged) {
                droppedInputLogged = true;
                log.warn("console input overran the UART receive FIFO; dropping input (logged once)");
            }
        }
        updateIrq();
        return accepted;
    }

    /**
     * Flow-controlled input: accepts as many bytes from {@code data[off, off+len)} as fit
     * right now and returns that count, never dropping anything. A reader that gets less
     * than it offered waits in {@link #awaitRoom} and offers the rest, so pasted text
     * waits in the pty instead of being lost while the guest drains the 16-byte FIFO.
     */
    public synchronized int offer(byte[] data, int off, int len) {
        int accepted = 0;
        while (accepted < len && hasRoom()) {
            pushRx(data[off + accepted]);
            accepted++;
        }
        if (accepted > 0) updateIrq();
        return accepted;
    }

    /** Waits until {@link #offer} can accept a byte, or the timeout passes; returns whether there is room. */
    public synchronized boolean awaitRoom(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        roomWaiters++;
        try {
            while (!hasRoom()) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) return false;
                wait(left);
            }
            return true;
        } finally {
            roomWaiters--;
        }
    }

    /** Input bytes dropped by {@link #receive} because the FIFO was full. */
    public synchronized long droppedInputBytes() {
        return droppedInput;
    }

    /** The last (up to {@link #OUTPUT_LOG_SIZE}) bytes the guest transmitted, oldest first. */
    public synchronized byte[] recentOutput() {
        int n = (int) Math.min(outTotal, OUTPUT_LOG_SIZE);
        byte[] out = new byte[n];
        int start = (int) ((outTotal - n) % OUTPUT_LOG_SIZE);
        int first = Math.min(n, OUTPUT_LOG_SIZE - start);
        System.arraycopy(outLog, start, out, 0, first);
        System.arraycopy(outLog, 0, out, first, n - first);
        return out;
    }

    /** Total bytes the guest has transmitted (not counting loopback). */
    public synchronized long transmittedBytes() {
        return outTotal;
    }

    // ---- snapshot ----

    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        out.u32(ier).u32(lcr).u32(mcr).u32(scr).u32(dll).u32(dlm).bool(fifoEnabled).u32(triggerLevel).u32(lsrErrors).u32(msr)
                .bool(thrPending);
        byte[] fifo = new byte[rxCount];
        for (int i = 0; i < rxCount; i++) fifo[i] = rx[(rxHead + i) % FIFO_SIZE];
        out.bytes(fifo);
    }

    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        ier = in.u32() & 0x0f;
        lcr = in.u32() & 0xff;
        mcr = in.u32() & 0x1f;
        scr = in.u32() & 0xff;
        dll = in.u32() & 0xff;
        dlm = in.u32() & 0xff;
        fifoEnabled = in.bool();
        triggerLevel = in.u32(1, 14, "FIFO trigger level");
        lsrErrors = in.u32() & 0xff;
        msr = in.u32() & 0xff;
        thrPending = in.bool();
        byte[] fifo = in.bytes();
        if (fifo.length > FIFO_SIZE) throw new vmd.vm.snapshot.SnapshotException("uart: receive FIFO of " + fifo.length + " bytes");
        System.arraycopy(fifo, 0, rx, 0, fifo.length);
        rxHead = 0;
        rxCount = fifo.length;
        irqLevel = false; // drive the line again: the restored interrupt controller expects it
        updateIrq();
    }
}

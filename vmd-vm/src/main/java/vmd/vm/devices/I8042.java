package vmd.vm.devices;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An 8042 keyboard controller with nothing plugged in, at ports 0x60 (data) and 0x64
 * (status/command). It exists for one job — command 0xFE pulses the CPU reset line, the
 * classic way PCs reboot (Linux's reboot=k, the default fallback after ACPI reset) — and
 * otherwise answers a driver's probe consistently, like OpenBSD vmd's i8042 stub but
 * with the controller commands Linux's i8042 driver issues.
 *
 * <p>What a guest finds: a controller that passes its self-test (0xAA → 0x55) and
 * keyboard interface test (0xAB → 0x00), keeps the command byte (0x20 / 0x60), and has
 * no auxiliary (mouse) port: the AUX loopback command (0xD3) answers with the byte as
 * <em>keyboard</em> data, which Linux's i8042_check_aux rejects at once ("auxerr") instead
 * of waiting half a second for a timeout, and the AUX interface test (0xA9) reports the
 * clock line stuck (0x02). Bytes written to port 0x60 for the keyboard go nowhere — no
 * keyboard answers — so atkbd's probe times out and reports no keyboard. That probe only
 * happens when Linux probes the legacy ports directly; with ACPI tables whose FADT does
 * not set IAPC_BOOT_ARCH.8042 (and no PNP0303 device) Linux skips the i8042 entirely.
 *
 * <p>No IRQ is driven: only command responses are ever produced and the guest polls for
 * those. Port 0x61 (system control port B) is not here: see {@link #PORT_B_NOTE}.
 */
public final class I8042 implements PortIoDevice, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(I8042.class);

    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;
    /** The two ports are not adjacent: register each with length 1. */
    public static final int PORT_LENGTH = 1;
    /** ISA IRQs a real 8042 uses (keyboard, mouse); not driven by this model. */
    public static final int KEYBOARD_IRQ = 1, AUX_IRQ = 12;

    /**
     * Port 0x61: Linux's KVM registers its own port-0x61 handler (PIT channel 2 gate and
     * output, speaker enable, refresh toggle) when KVM_CREATE_PIT2 is given the flag
     * KVM_PIT_SPEAKER_DUMMY (1) in kvm_pit_config.flags, so the vm process should pass that
     * flag and register nothing at 0x61 in userspace. Without the flag 0x61 exits to
     * userspace and, unclaimed, reads 0xff — PIT-based TSC calibration would then see
     * channel 2's output (bit 5) stuck high.
     */
    public static final String PORT_B_NOTE = "use KVM_PIT_SPEAKER_DUMMY; do not register 0x61";

    static final int STATUS_OBF = 0x01, STATUS_IBF = 0x02, STATUS_SYS = 0x04, STATUS_CMD = 0x08,
            STATUS_UNLOCKED = 0x10, STATUS_AUXDATA = 0x20;
    static final int CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60, CMD_AUX_DISABLE = 0xa7, CMD_AUX_ENABLE = 0xa8,
            CMD_AUX_TEST = 0xa9, CMD_SELF_TEST = 0xaa, CMD_KBD_TEST = 0xab, CMD_KBD_DISABLE = 0xad,
            CMD_KBD_ENABLE = 0xae, CMD_READ_OUTPUT_PORT = 0xd0, CMD_WRITE_OUTPUT_PORT = 0xd1,
            CMD_WRITE_KBD_OUTPUT = 0xd2, CMD_WRITE_AUX_OUTPUT = 0xd3, CMD_WRITE_AUX = 0xd4, CMD_PULSE_RESET = 0xfe;
    static final int CTR_KBD_INT = 0x01, CTR_AUX_INT = 0x02, CTR_SYS = 0x04, CTR_KBD_DISABLE = 0x10,
            CTR_AUX_DISABLE = 0x20, CTR_XLATE = 0x40;

    private final PowerControl power;

    /** Command byte: interrupts off, system flag set, translation on — what a BIOS leaves. */
    private int ctr = CTR_SYS | CTR_XLATE | CTR_AUX_DISABLE;
    private int outputPort = 0x01; // bit 0: reset line not asserted
    /** A command waiting for its parameter byte on port 0x60, or -1. */
    private int pendingCommand = -1;
    private boolean lastWriteWasCommand;
    private int outputByte;
    private boolean outputFull;
    private boolean outputIsAux;

    public I8042(PowerControl power) {
        this.power = power;
    }

    @Override
    public synchronized int read(int port, int size) {
        if (port == COMMAND_PORT) {
            int status = STATUS_UNLOCKED | ((ctr & CTR_SYS) != 0 ? STATUS_SYS : 0)
                    | (lastWriteWasCommand ? STATUS_CMD : 0);
            if (outputFull) status |= STATUS_OBF | (outputIsAux ? STATUS_AUXDATA : 0);
            return status; // IBF never set: every write is consumed before the out instruction retires
        }
        if (port == DATA_PORT) {
            int v = outputByte; // reading an empty buffer returns the last byte, as hardware does
            outputFull = false;
            outputIsAux = false;
            return v;
        }
        return 0xff;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        int v = value & 0xff;
        if (port == COMMAND_PORT) {
            lastWriteWasCommand = true;
            command(v);
        } else if (port == DATA_PORT) {
            lastWriteWasCommand = false;
            data(v);
        }
    }

    private void command(int cmd) {
        pendingCommand = -1;
        switch (cmd) {
            case CMD_READ_CTR -> respond(ctr);
            case CMD_WRITE_CTR, CMD_WRITE_OUTPUT_PORT, CMD_WRITE_KBD_OUTPUT, CMD_WRITE_AUX_OUTPUT, CMD_WRITE_AUX ->
                    pendingCommand = cmd;
            case CMD_AUX_DISABLE -> ctr |= CTR_AUX_DISABLE;
            case CMD_AUX_ENABLE -> ctr &= ~CTR_AUX_DISABLE;
            case CMD_AUX_TEST -> respond(0x02); // "clock line stuck high": there is no AUX port
            case CMD_SELF_TEST -> {
                ctr |= CTR_SYS;
                respond(0x55);
            }
            case CMD_KBD_TEST -> respond(0x00);
            case CMD_KBD_DISABLE -> ctr |= CTR_KBD_DISABLE;
            case CMD_KBD_ENABLE -> ctr &= ~CTR_KBD_DISABLE;
            case CMD_READ_OUTPUT_PORT -> respond(outputPort);
            default -> {
                // 0xF0-0xFF pulse output-port lines for ~6 µs; bit 0 of the low nibble
                // clear means "pulse bit 0", the CPU reset line.
                if ((cmd & 0xf0) == 0xf0) {
                    if ((cmd & 0x01) == 0) power.reset("i8042 reset");
                } else {
                    log.debug("ignored i8042 command 0x{}", Integer.toHexString(cmd));
                }
            }
        }
    }

    private void data(int v) {
        int cmd = pendingCommand;
        pendingCommand = -1;
        switch (cmd) {
            case CMD_WRITE_CTR -> ctr = v;
            case CMD_WRITE_OUTPUT_PORT -> {
                outputPort = v;
                // Output port bit 0 is the reset line, active low.
                if ((v & 0x01) == 0) power.reset("i8042 output port reset");
            }
            case CMD_WRITE_KBD_OUTPUT -> respond(v);
            // Reflected as keyboard data (no AUXDATA): a controller without an AUX port.
            case CMD_WRITE_AUX_OUTPUT -> respond(v);
            case CMD_WRITE_AUX -> { } // to the mouse: there is none
            default -> { } // to the keyboard: there is none, nothing answers
        }
    }

    private void respond(int v) {
        outputByte = v & 0xff;
        outputFull = true;
        outputIsAux = false;
    }

    // ---- snapshot ----

    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        out.u32(ctr).u32(outputPort).u32(pendingCommand).u32(outputByte).bool(outputFull);
    }

    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        ctr = in.u32() & 0xff;
        outputPort = in.u32() & 0xff;
        pendingCommand = in.u32();
        if (pendingCommand < -1 || pendingCommand > 0xff) throw new vmd.vm.snapshot.SnapshotException("i8042: pending command " + pendingCommand);
        outputByte = in.u32() & 0xff;
        outputFull = in.bool();
    }
}

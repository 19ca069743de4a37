package vmd.vm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class I8042Test {
    private final Fakes.Power power = new Fakes.Power();
    private final I8042 kbc = new I8042(power);

    private int status() {
        return kbc.read(I8042.COMMAND_PORT, 1);
    }

    private int command(int cmd) {
        kbc.write(I8042.COMMAND_PORT, 1, cmd);
        assertEquals(1, status() & 1, "a response is waiting");
        return kbc.read(I8042.DATA_PORT, 1);
    }

    @Test
    void linuxProbeSequence() {
        // i8042_flush: nothing buffered, and the status is not 0xff (a controller is present).
        assertEquals(0, status() & 0x03);
        int ctr = command(0x20);
        kbc.write(I8042.COMMAND_PORT, 1, 0x60);
        kbc.write(I8042.DATA_PORT, 1, ctr & ~0x03);
        assertEquals(ctr & ~0x03, command(0x20));
        assertEquals(0x55, command(0xaa));
        assertEquals(0x00, command(0xab));
        // AUX loopback comes back as keyboard data (no AUXDATA bit): no AUX port.
        kbc.write(I8042.COMMAND_PORT, 1, 0xd3);
        kbc.write(I8042.DATA_PORT, 1, 0x5a);
        assertEquals(0x01, status() & 0x21);
        assertEquals(0x5a, kbc.read(I8042.DATA_PORT, 1));
        assertTrue(command(0xa9) != 0);
        kbc.write(I8042.COMMAND_PORT, 1, 0xad);
        assertEquals(0x10, command(0x20) & 0x10);
        kbc.write(I8042.COMMAND_PORT, 1, 0xae);
        assertEquals(0, command(0x20) & 0x10);
        kbc.write(I8042.COMMAND_PORT, 1, 0xa7);
        assertEquals(0x20, command(0x20) & 0x20);
        kbc.write(I8042.COMMAND_PORT, 1, 0xa8);
        assertEquals(0, command(0x20) & 0x20);
        // A byte for the keyboard: nobody answers.
        kbc.write(I8042.DATA_PORT, 1, 0xf2);
        assertEquals(0, status() & 1);
        assertEquals(List.of(), power.events);
    }

    @Test
    void pulseResetLine() {
        kbc.write(I8042.COMMAND_PORT, 1, 0xfe);
        assertEquals(List.of("reset:i8042 reset"), power.events);
        kbc.write(I8042.COMMAND_PORT, 1, 0xff); // pulses nothing
        assertEquals(1, power.events.size());
    }
}

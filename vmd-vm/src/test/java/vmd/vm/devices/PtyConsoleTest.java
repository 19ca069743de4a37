package vmd.vm.devices;

import vmd.sys.Pty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import vmd.sys.Fds;

class PtyConsoleTest {
    @Test
    void outputReachesTheSlaveAndInputReachesTheGuest() throws Exception {
        Pty pty = Pty.open();
        assertTrue(pty.slavePath().startsWith("/dev/pts/"), pty.slavePath());
        int slave = Fds.open(pty.slavePath(), Fds.O_RDWR | Fds.O_NOCTTY);
        Fakes.Line irq = new Fakes.Line();
        try (PtyConsole console = new PtyConsole(pty.masterFd())) {
            Uart16550 uart = new Uart16550(Uart16550.COM1_BASE, irq, console);
            console.startReader(uart);
            int b = Uart16550.COM1_BASE;
            uart.write(b + 2, 1, 0x01); // FIFOs on
            for (byte c : "login: ".getBytes(StandardCharsets.US_ASCII)) uart.write(b, 1, c);

            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            StringBuilder seen = new StringBuilder();
            while (seen.length() < 7) {
                buf.clear();
                int n = Fds.read(slave, buf);
                for (int i = 0; i < n; i++) seen.append((char) buf.get(i));
            }
            assertEquals("login: ", seen.toString());

            Fds.write(slave, direct("root\n"));
            StringBuilder typed = new StringBuilder();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (typed.length() < 5 && System.nanoTime() < deadline) {
                if ((uart.read(b + 5, 1) & 1) != 0) typed.append((char) uart.read(b, 1));
                else Thread.sleep(1);
            }
            // Raw mode: no CR/NL translation, and the guest's output was not echoed back as input.
            assertEquals("root\n", typed.toString());
            Thread.sleep(50);
            assertEquals(0, uart.read(b + 5, 1) & 1);
            assertEquals(0, console.droppedOutputBytes());
        } finally {
            Fds.close(slave);
        }
    }

    @Test
    void fullPtyDropsInsteadOfBlocking() {
        Pty pty = Pty.open();
        int slave = Fds.open(pty.slavePath(), Fds.O_RDWR | Fds.O_NOCTTY);
        try (PtyConsole console = new PtyConsole(pty.masterFd())) {
            // Nobody reads the slave: the pty fills up, then writes must fail fast and be counted.
            for (int i = 0; i < 1 << 20; i++) console.write((byte) 'x');
            assertTrue(console.droppedOutputBytes() > 0);
        } finally {
            Fds.close(slave);
        }
    }

    private static ByteBuffer direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer d = ByteBuffer.allocateDirect(b.length);
        d.put(b).flip();
        return d;
    }
}

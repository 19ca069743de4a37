package vmd.vm.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class Uart16550Test {
    private static final int B = Uart16550.COM1_BASE;
    private final Fakes.Line irq = new Fakes.Line();
    private final Fakes.Output out = new Fakes.Output();
    private final Uart16550 uart = new Uart16550(B, irq, out);

    private int in(int reg) {
        return uart.read(B + reg, 1);
    }

    private void out(int reg, int v) {
        uart.write(B + reg, 1, v);
    }

    @Test
    void linux8250AutoconfigProbe() {
        // IER read-back: 0 then 0x0f must stick exactly.
        out(1, 0);
        assertEquals(0, in(1) & 0x0f);
        out(1, 0x0f);
        assertEquals(0x0f, in(1));
        out(1, 0);
        // Scratch register.
        out(7, 0xa5);
        assertEquals(0xa5, in(7));
        out(7, 0x5a);
        assertEquals(0x5a, in(7));
        // Loopback: MCR = LOOP|OUT2|RTS must show DCD|CTS in MSR's upper nibble.
        out(4, 0x10 | 0x0a);
        assertEquals(0x90, in(6) & 0xf0);
        out(4, 0x10 | 0x0f);
        assertEquals(0xf0, in(6) & 0xf0);
        out(4, 0);
        // FIFO detection: FCR = 0xE7 then IIR bits 7:6 = 3 (16550A), bit 5 = 0 (not a 16750).
        out(2, 0xe7);
        int iir = in(2);
        assertEquals(3, iir >> 6);
        assertEquals(0, iir & 0x20);
        assertEquals(0xc1, iir); // FIFOs on, no interrupt pending
        // The XScale UUE bit must not stick.
        out(1, 0x40);
        assertEquals(0, in(1));
        // With FIFOs off IIR has no FIFO bits.
        out(2, 0);
        assertEquals(0x01, in(2));
    }

    @Test
    void divisorLatch() {
        out(3, 0x83);
        out(0, 0x01);
        out(1, 0x00);
        assertEquals(0x01, in(0));
        assertEquals(0x00, in(1));
        out(3, 0x03);
        assertEquals(0x03, in(3));
        out(0, 'A'); // DLAB clear: a real transmit
        assertEquals("A", out.text());
    }

    @Test
    void loopbackTransmitsToOwnReceiver() {
        out(4, 0x10);
        out(0, 0x55);
        assertEquals("", out.text());
        assertEquals(1, in(5) & 1);
        assertEquals(0x55, in(0));
        assertEquals(0, in(5) & 1);
        // External input is disconnected in loopback.
        assertEquals(0, uart.offer(new byte[] {1}, 0, 1));
    }

    @Test
    void lsrAlwaysShowsTransmitterEmpty() {
        assertEquals(0x60, in(5));
        out(0, 'x');
        assertEquals(0x60, in(5));
    }

    @Test
    void thrEmptyInterruptFiresOnEnableAndAfterEachByte() {
        assertFalse(irq.level);
        out(1, 0x02); // enabling ETBEI while THR is empty raises at once
        assertTrue(irq.level);
        assertEquals(0x02, in(2)); // IIR: THR empty
        assertFalse(irq.level); // reading IIR acknowledged it
        assertEquals(0x01, in(2));
        // Linux's THRE test: disable, re-enable -> pending again.
        out(1, 0);
        out(1, 0x02);
        assertEquals(0x02, in(2));
        // Each transmitted byte: line falls on the THR write and rises when THR empties again.
        int raisesBefore = irq.raises();
        out(0, 'h');
        out(0, 'i');
        assertTrue(irq.level);
        assertEquals(raisesBefore + 2, irq.raises());
        assertEquals("hi", out.text());
        out(1, 0); // disabling drops the line
        assertFalse(irq.level);
    }

    @Test
    void rxInterruptAndPriority() {
        out(2, 0x07); // FIFOs on, trigger level 1
        out(1, 0x01 | 0x02);
        in(2); // ack THRE
        assertFalse(irq.level);
        assertEquals(3, uart.receive("abc".getBytes(StandardCharsets.US_ASCII), 3));
        assertTrue(irq.level);
        assertEquals(0xc4, in(2)); // RX data outranks THR empty
        assertEquals('a', in(0));
        assertEquals('b', in(0));
        assertEquals('c', in(0));
        assertFalse(irq.level);
        assertEquals(0, in(5) & 1);
    }

    @Test
    void rxBelowTriggerLevelReportsTimeout() {
        out(2, 0xc1); // FIFOs on, trigger level 14
        out(1, 0x01);
        uart.receive(new byte[] {'x'}, 1);
        assertTrue(irq.level);
        assertEquals(0xcc, in(2));
    }

    @Test
    void rxFifoOverflowDropsCountsAndFlagsOverrun() {
        out(2, 0x01);
        out(1, 0x01 | 0x04);
        byte[] data = new byte[20];
        for (int i = 0; i < data.length; i++) data[i] = (byte) i;
        assertEquals(16, uart.receive(data, data.length));
        assertEquals(4, uart.droppedInputBytes());
        assertEquals(0xc6, in(2)); // line status (overrun) has the highest priority
        int lsr = in(5);
        assertEquals(0x02, lsr & 0x02);
        assertEquals(0, in(5) & 0x02); // cleared by the read
        for (int i = 0; i < 16; i++) assertEquals(i, in(0));
        assertFalse(irq.level);
        // Without FIFOs the receiver holds one byte.
        out(2, 0x00);
        assertEquals(1, uart.receive(data, 2));
    }

    @Test
    void offerNeverDropsAndAwaitRoomWakesOnRead() throws Exception {
        out(2, 0x01);
        byte[] data = new byte[40];
        assertEquals(16, uart.offer(data, 0, 40));
        assertEquals(0, uart.offer(data, 16, 24));
        assertEquals(0, uart.droppedInputBytes());
        CountDownLatch room = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                if (uart.awaitRoom(5000)) room.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        Thread.sleep(50);
        assertEquals(1, room.getCount());
        in(0);
        assertTrue(room.await(2, TimeUnit.SECONDS));
        t.join();
    }

    @Test
    void modemStatusDeltasAndInterrupt() {
        out(1, 0x08);
        out(4, 0x10); // loopback with all outputs low: DCD, DSR, CTS fall
        assertTrue(irq.level);
        assertEquals(0x00, in(2));
        int msr = in(6);
        assertEquals(0x0b, msr & 0x0f); // DDCD | DDSR | DCTS
        assertFalse(irq.level);
        assertEquals(0, in(6) & 0x0f);
    }

    @Test
    void recentOutputKeepsTheTail() {
        for (int i = 0; i < Uart16550.OUTPUT_LOG_SIZE + 100; i++) out(0, i & 0xff);
        byte[] tail = uart.recentOutput();
        assertEquals(Uart16550.OUTPUT_LOG_SIZE, tail.length);
        assertEquals(100 & 0xff, tail[0] & 0xff);
        assertEquals((Uart16550.OUTPUT_LOG_SIZE + 99) & 0xff, tail[tail.length - 1] & 0xff);
        Uart16550 fresh = new Uart16550(B, irq, out);
        fresh.write(B, 1, 'k');
        assertArrayEquals(new byte[] {'k'}, fresh.recentOutput());
    }

    @Test
    void concurrentReceiveAndReadLoseNothing() throws Exception {
        out(2, 0x01);
        int total = 20000;
        Thread feeder = new Thread(() -> {
            byte[] b = new byte[7];
            int sent = 0;
            try {
                while (sent < total) {
                    int n = Math.min(b.length, total - sent);
                    for (int i = 0; i < n; i++) b[i] = (byte) (sent + i);
                    int off = 0;
                    while (off < n) {
                        off += uart.offer(b, off, n - off);
                        if (off < n) uart.awaitRoom(100);
                    }
                    sent += n;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        feeder.start();
        int got = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got < total && System.nanoTime() < deadline) {
            if ((in(5) & 1) != 0) {
                assertEquals(got & 0xff, in(0));
                got++;
            }
        }
        feeder.join();
        assertEquals(total, got);
    }
}

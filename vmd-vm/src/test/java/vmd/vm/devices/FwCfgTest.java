package vmd.vm.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;

class FwCfgTest {
    private static GuestMemory memory;

    @BeforeAll
    static void ram() {
        memory = GuestMemory.create("t", List.of(new MemoryRegion(0, 1 << 20, 0)));
    }

    private static byte[] readItem(FwCfg fw, int key, int len) {
        fw.write(FwCfg.SELECTOR_PORT, 2, key);
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = (byte) fw.read(FwCfg.DATA_PORT, 1);
        return b;
    }

    private static FwCfg device() {
        FwCfg fw = new FwCfg(memory, 2, 4);
        fw.addFile("etc/e820", FwCfg.e820(List.of(new vmd.vm.boot.E820Entry(0, 0x9fc00, vmd.vm.boot.E820Entry.RAM),
                new vmd.vm.boot.E820Entry(0x100000, 0x3f00000, vmd.vm.boot.E820Entry.RAM))));
        fw.addFile("bootorder", FwCfg.bootOrder(List.of("/pci@i0cf8/*@4")));
        fw.addFile("etc/boot-fail-wait", FwCfg.le32(5000));
        return fw;
    }

    @Test
    void signatureIdAndCpus() {
        FwCfg fw = device();
        assertEquals("QEMU", new String(readItem(fw, FwCfg.KEY_SIGNATURE, 4), StandardCharsets.US_ASCII));
        assertArrayEquals(new byte[] {3, 0, 0, 0}, readItem(fw, FwCfg.KEY_ID, 4));
        assertArrayEquals(new byte[] {2, 0}, readItem(fw, FwCfg.KEY_NB_CPUS, 2));
        assertArrayEquals(new byte[] {4, 0}, readItem(fw, FwCfg.KEY_MAX_CPUS, 2));
        // Past the end, and unknown items, read 0.
        assertArrayEquals(new byte[] {'Q', 'E', 'M', 'U', 0, 0}, readItem(fw, FwCfg.KEY_SIGNATURE, 6));
        assertArrayEquals(new byte[] {0, 0}, readItem(fw, 0x1234, 2));
        // The DMA port reads "QEMU CFG".
        byte[] sig = new byte[8];
        for (int i = 0; i < 8; i++) sig[i] = (byte) fw.read(FwCfg.DMA_PORT + i, 1);
        assertEquals("QEMU CFG", new String(sig, StandardCharsets.US_ASCII));
    }

    @Test
    void fileDirectorySortedByName() {
        FwCfg fw = device();
        ByteBuffer dir = ByteBuffer.wrap(readItem(fw, FwCfg.KEY_FILE_DIR, 4 + 3 * 64)).order(ByteOrder.BIG_ENDIAN);
        assertEquals(3, dir.getInt());
        String[] names = {"bootorder", "etc/boot-fail-wait", "etc/e820"};
        int[] sizes = {15, 4, 40};
        for (int i = 0; i < 3; i++) {
            assertEquals(sizes[i], dir.getInt());
            assertEquals(0x20 + i, dir.getShort());
            assertEquals(0, dir.getShort());
            byte[] name = new byte[56];
            dir.get(name);
            assertEquals(names[i], new String(name, StandardCharsets.US_ASCII).replace("\0", ""));
            assertEquals(0x20 + i, fw.selectorOf(names[i]));
        }
        assertEquals("/pci@i0cf8/*@4\n", new String(readItem(fw, 0x20, 15), StandardCharsets.US_ASCII));
    }

    /** Writes a FWCfgDmaAccess at {@code desc} and triggers it through the DMA port the way SeaBIOS does. */
    private static int dma(FwCfg fw, long desc, int control, int length, long address) {
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putInt(control).putInt(length).putLong(address);
        memory.write(desc, d.array());
        fw.write(FwCfg.DMA_PORT, 4, Integer.reverseBytes((int) (desc >>> 32)));
        fw.write(FwCfg.DMA_PORT + 4, 4, Integer.reverseBytes((int) desc));
        return Integer.reverseBytes(memory.getInt(desc));
    }

    @Test
    void dmaSelectAndRead() {
        FwCfg fw = device();
        int e820 = fw.selectorOf("etc/e820");
        memory.write(0x2000, new byte[64]);
        assertEquals(0, dma(fw, 0x1000, (e820 << 16) | 0x08 | 0x02, 20, 0x2000));
        ByteBuffer e = memory.buffer(0x2000, 40);
        assertEquals(0, e.getLong(0));
        assertEquals(0x9fc00, e.getLong(8));
        assertEquals(1, e.getInt(16));
        assertEquals(0, e.getLong(20)); // only 20 bytes were asked for
        // The next read continues where the last stopped; past the end it fills zeros.
        memory.write(0x3000, new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
        assertEquals(0, dma(fw, 0x1000, 0x02, 24, 0x3000));
        ByteBuffer second = memory.buffer(0x3000, 24);
        assertEquals(0x100000, second.getLong(0));
        assertEquals(0x3f00000, second.getLong(8));
        assertEquals(1, second.getInt(16));
        assertEquals(0, second.getInt(20));
        // Skip then read.
        assertEquals(0, dma(fw, 0x1000, (FwCfg.KEY_SIGNATURE << 16) | 0x08 | 0x04, 2, 0));
        assertEquals(0, dma(fw, 0x1000, 0x02, 2, 0x4000));
        assertEquals("MU", new String(memory.read(0x4000, 2), StandardCharsets.US_ASCII));
    }

    @Test
    void dmaErrorsNeverCrash() {
        FwCfg fw = device();
        // Destination outside guest RAM.
        assertEquals(0x01, dma(fw, 0x1000, (FwCfg.KEY_SIGNATURE << 16) | 0x08 | 0x02, 4, 0x7fff_0000_0000L));
        // Straddling the end of RAM.
        assertEquals(0x01, dma(fw, 0x1000, (FwCfg.KEY_FILE_DIR << 16) | 0x08 | 0x02, 64, (1 << 20) - 16));
        // Writes are refused.
        assertEquals(0x01, dma(fw, 0x1000, (FwCfg.KEY_SIGNATURE << 16) | 0x08 | 0x10, 4, 0x2000));
        // A descriptor outside RAM is ignored.
        fw.write(FwCfg.DMA_PORT, 4, Integer.reverseBytes(0x10));
        fw.write(FwCfg.DMA_PORT + 4, 4, 0);
        // And the device still works.
        assertEquals(0, dma(fw, 0x1000, (FwCfg.KEY_SIGNATURE << 16) | 0x08 | 0x02, 4, 0x2000));
        assertEquals("QEMU", new String(memory.read(0x2000, 4), StandardCharsets.US_ASCII));
    }
}

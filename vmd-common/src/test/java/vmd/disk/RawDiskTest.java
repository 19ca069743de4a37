package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawDiskTest {
    @TempDir Path dir;

    @Test
    void readWriteZeroesDiscard() throws IOException {
        Path p = dir.resolve("disk.raw");
        RawCreator.create(p, 4 << 20);
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        try (RawDisk d = RawDisk.open(ImageFile.open(p, true), false)) {
            assertEquals(4 << 20, d.size());
            assertTrue(d.supportsDiscard());
            d.write(512, ByteBuffer.allocateDirect(data.length).put(data).flip());
            ByteBuffer back = ByteBuffer.allocate(data.length);
            d.read(512, back);
            assertArrayEquals(data, back.array());
            d.writeZeroes(4096, 8192, false);
            d.writeZeroes(65536, 65536, true);
            d.discard(3 << 20, 1 << 20); // beyond the data: reads zeros
            d.flush();
            assertThrows(IOException.class, () -> d.write((4 << 20) - 100, ByteBuffer.allocate(512)));
            assertThrows(IOException.class, () -> d.discard(-1, 512));
            ByteBuffer all = ByteBuffer.allocate(4 << 20);
            d.read(0, all);
            byte[] expected = new byte[4 << 20];
            System.arraycopy(data, 0, expected, 512, data.length);
            java.util.Arrays.fill(expected, 4096, 4096 + 8192, (byte) 0);
            java.util.Arrays.fill(expected, 65536, 131072, (byte) 0);
            assertArrayEquals(expected, all.array());
        }
        try (RawDisk ro = RawDisk.open(ImageFile.open(p, false), true)) {
            assertThrows(IOException.class, () -> ro.write(0, ByteBuffer.allocate(512)));
        }
    }

    @Test
    void overAFileChannel() throws IOException {
        Path p = dir.resolve("ch.raw");
        RawCreator.create(p, 1 << 20);
        FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (RawDisk d = RawDisk.open(ImageFile.of(ch, p.toString(), true), false)) {
            d.write(1000, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            d.writeZeroes(0, 4096, true); // falls back to writing zeros
            ByteBuffer b = ByteBuffer.allocate(4100);
            d.read(0, b);
            assertEquals(0, b.get(1000));
        }
    }
}

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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import vmd.sys.IoVecs;
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

    /** Segments of one request as a guest lays them out: many, uneven, some past the file's end. */
    static List<ByteBuffer> segments(int count, long seed) {
        Random r = new Random(seed);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(ByteBuffer.allocateDirect(512 * (1 + r.nextInt(16))));
        return out;
    }

    @Test
    void vectoredReadsAndWritesMoveEverySegmentInOrder() throws IOException {
        Path p = dir.resolve("vec.raw");
        RawCreator.create(p, 8 << 20);
        // More segments than one iovec array holds, so the transfer spans several calls.
        List<ByteBuffer> out = segments(IoVecs.MAX + 300, 5);
        Random r = new Random(9);
        long total = 0;
        for (ByteBuffer b : out) {
            byte[] bytes = new byte[b.capacity()];
            r.nextBytes(bytes);
            b.put(bytes).flip();
            total += bytes.length;
        }
        long at = 3 << 20;
        try (RawDisk d = RawDisk.open(ImageFile.open(p, true), false)) {
            d.write(at - total / 2, out);
            for (ByteBuffer b : out) assertEquals(0, b.remaining(), "every segment written");
            ByteBuffer whole = ByteBuffer.allocate((int) total);
            d.read(at - total / 2, whole);
            whole.flip();
            for (ByteBuffer b : out) assertEquals(b.capacity(), b.flip().remaining());
            for (ByteBuffer b : out) {
                byte[] want = new byte[b.remaining()];
                b.get(want);
                byte[] got = new byte[want.length];
                whole.get(got);
                assertArrayEquals(want, got, "segments land back to back, in order");
            }
            List<ByteBuffer> in = segments(IoVecs.MAX + 300, 5);
            d.read(at - total / 2, in);
            for (int i = 0; i < in.size(); i++) {
                assertEquals(0, in.get(i).remaining(), "segment " + i + " filled");
                assertEquals(out.get(i).rewind(), in.get(i).flip(), "segment " + i + " read back");
            }
            assertThrows(IOException.class, () -> d.read((8 << 20) - 512, segments(4, 1)), "past the disk's end");
        }
        // A file shorter than the disk (it shrank under us): the missing tail reads as zeros.
        try (RawDisk d = RawDisk.open(ImageFile.open(p, false), true)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(at);
            }
            List<ByteBuffer> in = segments(64, 5);
            long len = 0;
            for (ByteBuffer b : in) len += b.capacity();
            d.read(at - len / 2, in);
            ByteBuffer expect = ByteBuffer.allocate((int) len);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ch.read(expect, at - len / 2);
            }
            long seen = 0;
            for (ByteBuffer b : in) {
                b.flip();
                while (b.hasRemaining()) {
                    byte want = seen < len / 2 ? expect.get((int) seen) : 0;
                    assertEquals(want, b.get(), "byte " + seen);
                    seen++;
                }
            }
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

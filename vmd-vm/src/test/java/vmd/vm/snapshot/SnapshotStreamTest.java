package vmd.vm.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.vm.snapshot.SnapshotFormat.Kind;

/**
 * The snapshot stream through a real file: what is written reads back section by section
 * and page by page, zero pages travel as bitmap bits only, and every kind of damage is
 * refused with a reason before anything is applied.
 */
class SnapshotStreamTest {
    private static final List<MemoryRegion> LAYOUT = List.of(new MemoryRegion(0, 1 << 20, 0), new MemoryRegion(1L << 32, 256 << 10, 1 << 20));

    @TempDir
    Path dir;

    private static GuestMemory memory() {
        return GuestMemory.create("snapshot-test", LAYOUT);
    }

    private Path write(GuestMemory mem, boolean withMemory) throws IOException {
        Path f = dir.resolve("s.snap");
        Files.deleteIfExists(f);
        Files.createFile(f);
        SnapshotWriter w = new SnapshotWriter();
        w.add(Kind.MACHINE, 0, new StateWriter().string("t").u64(42).toByteArray());
        w.add(Kind.VCPU, 1, new byte[] {1, 2, 3});
        w.device(0, "uart", new Snapshotted() {
            public void saveState(StateWriter out) {
                out.u32(7).bytes(new byte[] {9});
            }

            public void restoreState(StateReader in) {
                assertEquals(7, in.u32());
                assertArrayEquals(new byte[] {9}, in.bytes());
            }
        });
        if (withMemory) w.memory(new MemoryImage(mem));
        int fd = Fds.open(f.toString(), Fds.O_WRONLY);
        try {
            w.writeTo(new StreamFd(fd));
        } finally {
            Fds.close(fd);
        }
        return f;
    }

    private static SnapshotReader read(Path f, GuestMemory into) {
        int fd = Fds.open(f.toString(), Fds.O_RDONLY);
        try {
            return SnapshotReader.read(new StreamFd(fd), into, r -> {});
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void sectionsAndPagesReadBackAndZeroPagesTakeNoSpace() throws Exception {
        GuestMemory src = memory();
        src.putLong(0x1000, 0x1122334455667788L);
        src.putLong(0xff000, -1L);
        src.putLong((1L << 32) + 0x2000, 5);
        Path f = write(src, true);
        // three pages of data, the rest bitmap and headers
        assertTrue(Files.size(f) < 3 * 4096 + 1024, "stream of " + Files.size(f) + " bytes");
        GuestMemory dst = memory();
        SnapshotReader r = read(f, dst);
        assertEquals(3, r.pagesRead());
        assertEquals(0x1122334455667788L, dst.getLong(0x1000));
        assertEquals(-1L, dst.getLong(0xff000));
        assertEquals(5, dst.getLong((1L << 32) + 0x2000));
        assertEquals(0, dst.getLong(0x5000));
        StateReader m = r.section(Kind.MACHINE, 0);
        assertEquals("t", m.string());
        assertEquals(42, m.u64());
        AtomicBoolean restored = new AtomicBoolean();
        r.restoreDevice("uart", new Snapshotted() {
            public void saveState(StateWriter out) {}

            public void restoreState(StateReader in) {
                assertEquals(7, in.u32());
                in.bytes();
                restored.set(true);
            }
        });
        assertTrue(restored.get());
        assertTrue(r.unusedDevices().isEmpty());
    }

    private void expectRefusal(Path f, String reason) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> read(f, memory()));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    private void poke(Path f, int offset, int value) throws IOException {
        byte[] b = Files.readAllBytes(f);
        b[offset] = (byte) value;
        Files.write(f, b);
    }

    @Test
    void damageIsRefusedWithAReason() throws Exception {
        Path f = write(memory(), true);
        byte[] good = Files.readAllBytes(f);
        poke(f, 0, 'X');
        expectRefusal(f, "bad magic");
        Files.write(f, good);
        poke(f, 8, 2);
        expectRefusal(f, "snapshot stream version 2; this vmd reads version 1");
        Files.write(f, good);
        poke(f, 16, 99); // first table entry's kind
        expectRefusal(f, "unknown kind 99");
        Files.write(f, good);
        poke(f, 16 + 4 * 16 + 4, 7); // first section's own instance no longer matches the table
        expectRefusal(f, "does not match the section table");
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 100));
        expectRefusal(f, "ended early");
        Files.write(f, good);
        poke(f, 16 + 8 + 7, 0x7f); // first table entry's length: far past 16 MiB
        expectRefusal(f, "claims");
    }

    @Test
    void aStreamWithoutMemoryIsRefusedUnlessMemoryTravelsApart() throws Exception {
        Path f = write(memory(), false);
        expectRefusal(f, "no memory section");
        int fd = Fds.open(f.toString(), Fds.O_RDONLY);
        try {
            assertEquals(0, SnapshotReader.read(new StreamFd(fd), memory(), r -> {}, false).pagesRead());
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void memoryOfAnotherSizeIsRefused() throws Exception {
        Path f = write(memory(), true);
        GuestMemory bigger = GuestMemory.create("bigger", List.of(new MemoryRegion(0, 2 << 20, 0), LAYOUT.get(1)));
        int fd = Fds.open(f.toString(), Fds.O_RDONLY);
        try {
            SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotReader.read(new StreamFd(fd), bigger, r -> {}));
            assertTrue(e.getMessage().contains("is its memory size the same"), e.getMessage());
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void aTruncatedSectionNamesItself() {
        StateReader r = new StateReader("device uart", new byte[] {1, 0});
        SnapshotException e = assertThrows(SnapshotException.class, r::u32);
        assertEquals("snapshot section device uart is truncated", e.getMessage());
        StateReader big = new StateReader("vcpu 0", new StateWriter().u32(1000).toByteArray());
        assertThrows(SnapshotException.class, big::bytes);
        StateReader extra = new StateReader("pit", new byte[3]);
        assertThrows(SnapshotException.class, extra::end);
    }
}

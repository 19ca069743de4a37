package vmd.vioblk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.disk.Disk;
import vmd.disk.ImageFile;
import vmd.disk.ImageFormat;
import vmd.disk.Qcow2Chain;
import vmd.disk.Qcow2Creator;
import vmd.testing.Prerequisites;

/**
 * Two owners of one qcow2 image in turn, as in a live migration on shared storage: the
 * destination opened it first, the source allocated clusters after that. Without reading
 * the metadata anew the destination would not see the source's data and would hand out
 * its clusters again.
 */
class ImageHandoverTest {
    private static final int CLUSTER = 64 << 10;

    @TempDir
    Path dir;

    private static ByteBuffer filled(int value) {
        byte[] b = new byte[CLUSTER];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private static byte[] read(Disk d, long offset) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(CLUSTER);
        d.read(offset, b);
        return b.array();
    }

    /** A new qcow2 image opened as vioblk opens it, with a handover that counts its re-reads in {@code reopened[0]}. */
    private static ImageHandover handover(Path image, long size, int[] reopened) throws Exception {
        Qcow2Creator.create(image, size);
        List<ImageFile> files = List.of(ImageFile.open(image, true));
        List<ImageFormat> formats = List.of(ImageFormat.QCOW2);
        return new ImageHandover("disk0", Qcow2Chain.open(files, formats, false), () -> {
            reopened[0]++;
            return Qcow2Chain.reopen(files, formats, false);
        });
    }

    @Test
    void theNextOwnerSeesWhatTheLastOneWroteAndAllocatesAroundIt() throws Exception {
        Path image = dir.resolve("shared.qcow2");
        // the destination's vioblk: opened while the source still runs
        ImageHandover dest = handover(image, 64L << 20, new int[1]);
        // the source writes two clusters after that, and its rings stop (flush)
        try (Disk source = Qcow2Chain.open(image, false)) {
            source.write(0, filled(0xa1));
            source.write(10L * CLUSTER, filled(0xa2));
            source.flush();
        }
        dest.acquired(); // the destination's rings start
        assertArrayEquals(filled(0xa1).array(), read(dest.disk(), 0));
        assertArrayEquals(filled(0xa2).array(), read(dest.disk(), 10L * CLUSTER));
        dest.disk().write(5L * CLUSTER, filled(0xb1)); // allocates: must not reuse the source's clusters
        dest.released();
        dest.disk().close();
        try (Disk after = Qcow2Chain.open(image, true)) {
            assertArrayEquals(filled(0xa1).array(), read(after, 0));
            assertArrayEquals(filled(0xa2).array(), read(after, 10L * CLUSTER));
            assertArrayEquals(filled(0xb1).array(), read(after, 5L * CLUSTER));
        }
        Prerequisites.requireTool("/usr/bin/qemu-img");
        Process check = new ProcessBuilder("qemu-img", "check", image.toString()).redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes());
        assertEquals(0, check.waitFor(), out);
    }

    @Test
    void aStartWithoutAStopInBetweenKeepsTheCache() throws Exception {
        int[] reopened = {0};
        ImageHandover h = handover(dir.resolve("own.qcow2"), 16L << 20, reopened);
        h.acquired();
        Disk first = h.disk();
        first.write(0, filled(7));
        h.acquired(); // another ring starting beside the first: nothing changed hands
        assertEquals(1, reopened[0]);
        h.released();
        h.acquired();
        assertEquals(2, reopened[0]);
        assertArrayEquals(filled(7).array(), read(h.disk(), 0));
        h.disk().close();
    }
}

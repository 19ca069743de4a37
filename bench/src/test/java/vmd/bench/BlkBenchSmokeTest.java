package vmd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.testing.Prerequisites;

/**
 * Runs the whole benchmark for a moment on a tiny image: it completes and prints its table
 * (no timing checked), and the images vioblk wrote from empty pass qemu-img check and
 * compare equal to what qemu-storage-daemon wrote.
 */
class BlkBenchSmokeTest {
    @TempDir
    Path dir;

    @Test
    void runsBothBackendsOnBothFormats() throws Exception {
        Prerequisites.requireTool("/usr/bin/qemu-storage-daemon");
        Prerequisites.requireTool("/usr/bin/qemu-img");
        BlkBench.Options o = BlkBench.Options.parse(new String[] {"--dir", dir.toString(), "--size-mib", "16",
                "--seconds", "0.2", "--warmup", "0.1", "--rounds", "1", "--rand-qd", "1,8"});
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new BlkBench(o).run(new PrintStream(buf, true, StandardCharsets.UTF_8));
        String table = buf.toString(StandardCharsets.UTF_8);
        System.out.println(table);
        for (String row : new String[] {"| raw | seq read 1 MiB, QD4", "| raw | rand read 4 KiB, QD8", "| qcow2 | seq write 1 MiB, QD4",
                "| qcow2 | peak RSS, VmHWM (MiB)",
                "| qcow2 | rand write 4 KiB, QD32", "- qcow2: vmd: qemu-img check clean", "- qcow2: qemu-img compare vmd vs qsd: identical",
                "- raw: qemu-img compare vmd vs qsd: identical"}) {
            assertTrue(table.contains(row), row + " in\n" + table);
        }
        assertTrue(!table.contains("| - |"), "every cell measured:\n" + table);
    }
}

package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import vmd.imsg.CtlResult;
import vmd.imsg.VmTerminated;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.VmConfig;
import vmd.sys.Fds;

/**
 * vmctl send / receive at the registry: the test guest counts, the VM is sent to a file
 * and ends, the same VM is received from the file with new vm and vioblk processes, and
 * the guest goes on counting from the next number, then reads and writes its disk
 * through the new vioblk. Also: a stream the VM cannot take is refused with a reason.
 */
class SnapshotTest {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Pattern COUNT = Pattern.compile("count (\\d+)\r?\n");

    private static VmConfig.Builder counting(String name, Path disk) {
        return VmConfig.builder(name).boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20)
                .disk(disk.toString(), DiskFormat.RAW).cmdline("console=ttyS0 vmdtest=count");
    }

    private static List<Long> counts(String console) {
        List<Long> out = new ArrayList<>();
        Matcher m = COUNT.matcher(console);
        while (m.find()) out.add(Long.parseLong(m.group(1)));
        return out;
    }

    private static CtlResult send(VmFixture f, Path file) throws Exception {
        Files.deleteIfExists(file);
        Files.createFile(file);
        int fd = Fds.open(file.toString(), Fds.O_WRONLY);
        try {
            return f.onEvents(() -> f.registry().send(f.vm(), fd, false)).get(60, TimeUnit.SECONDS);
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    private static VmProcess receive(VmFixture f, Path file) throws Exception {
        return receive(f, f.vm(), file);
    }

    private static VmProcess receive(VmFixture f, Vm vm, Path file) throws Exception {
        int fd = Fds.open(file.toString(), Fds.O_RDONLY);
        try {
            return f.onEvents(() -> {
                f.registry().receive(vm, fd);
                return f.registry().process(vm);
            });
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    @Test
    void aSentGuestGoesOnCountingAfterReceiveAndItsDiskStillWorks() throws Exception {
        Path disk = VmFixture.scratchDisk("snapshot-test", 4 << 20);
        Path stream = disk.resolveSibling("vm.snap");
        try (VmFixture f = new VmFixture()) {
            f.start(counting("snap", disk).build());
            f.awaitConsole("count 5\r", BOOT);

            CtlResult sent = send(f, stream);
            assertEquals(0, sent.code(), sent.message());
            VmTerminated end = f.awaitEnd(BOOT);
            assertEquals("sent", end.reason(), f.console());
            long sentAt = counts(f.console()).getLast();
            int mark = f.mark();
            assertTrue(Files.size(stream) > 0);

            VmProcess p = receive(f, stream);
            p.running().get(60, TimeUnit.SECONDS);
            f.awaitConsole("count " + (sentAt + 5) + "\r", BOOT, mark);
            String after = f.console().substring(mark);
            assertFalse(after.contains("vmd test guest"), "the guest booted again:\n" + after);
            List<Long> all = counts(f.console());
            for (int i = 1; i < all.size(); i++) assertEquals(all.get(i - 1) + 1, all.get(i), "counts " + all);

            f.type("x");
            f.awaitConsole("VMDTEST OK count", BOOT, mark);
            int blk = f.mark();
            f.type("blk\r");
            f.awaitConsole("VMDTEST OK blk", BOOT, blk);
            try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "r")) {
                byte[] b = new byte[512];
                raf.seek(2048L * 512); // vmdtest.blk_sector's default
                raf.readFully(b);
                assertFalse(java.util.Arrays.equals(new byte[512], b), "the guest's write reached the image through the new vioblk");
            }
        } finally {
            Files.deleteIfExists(stream);
            VmFixture.deleteScratch(disk);
        }
    }

    /** The one failure a live migration must undo: the guest was paused for the stop-and-copy. */
    @Test
    void aMigrationRefusedAfterTheStopLeavesTheGuestRunningWhereItWas() throws Exception {
        Path disk = VmFixture.scratchDisk("snapshot-test", 4 << 20);
        try (VmFixture f = new VmFixture(); RefusingDestination dest = new RefusingDestination()) {
            f.start(counting("snaplive", disk).build());
            f.awaitConsole("count 3\r", BOOT);
            int fd = vmd.sys.TcpSockets.connect(dest.address());
            CtlResult r;
            try {
                r = f.onEvents(() -> f.registry().send(f.vm(), fd, true)).get(60, TimeUnit.SECONDS);
            } finally {
                Fds.closeQuietly(fd);
            }
            assertTrue(dest.refused.get(10, TimeUnit.SECONDS) > 0, "the destination took no pages");
            assertTrue(r.code() != 0, "the send succeeded: " + r.message());
            assertTrue(r.message().contains(RefusingDestination.REASON), r.message());
            long pausedAt = counts(f.console()).getLast();
            int mark = f.mark();
            f.awaitConsole("count " + (pausedAt + 3) + "\r", BOOT, mark);
            List<Long> all = counts(f.console());
            for (int i = 1; i < all.size(); i++) assertEquals(all.get(i - 1) + 1, all.get(i), "counts " + all);
            f.type("x");
            f.awaitConsole("VMDTEST OK count", BOOT, mark);
            int blk = f.mark();
            f.type("blk\r"); // its disk's rings were stopped for the copy and started again
            f.awaitConsole("VMDTEST OK blk", BOOT, blk);
        } finally {
            VmFixture.deleteScratch(disk);
        }
    }

    @Test
    void aStreamForAnotherMachineIsRefusedWithAReason() throws Exception {
        Path disk = VmFixture.scratchDisk("snapshot-test", 4 << 20);
        Path stream = disk.resolveSibling("vm.snap");
        try {
            try (VmFixture f = new VmFixture()) {
                f.start(counting("snapbig", disk).build());
                f.awaitConsole("count 1\r", BOOT);
                assertEquals(0, send(f, stream).code());
                f.awaitEnd(BOOT);
            }
            // the same name with twice the memory: the stream does not fit
            try (VmFixture f = new VmFixture()) {
                Vm vm = f.onEvents(() -> f.registry().define(List.of(counting("snapbig", disk).memory(128L << 20).build()), null).get(0));
                VmProcess p = receive(f, vm, stream);
                VmTerminated end = p.end().get(60, TimeUnit.SECONDS);
                assertEquals(VmTerminated.ExitKind.ERROR, end.kind());
                assertTrue(end.reason().contains("memory 64M, this VM 128M"), end.reason());
            }
            // a damaged header
            byte[] b = Files.readAllBytes(stream);
            b[8] = 9; // version
            Files.write(stream, b);
            try (VmFixture f = new VmFixture()) {
                Vm vm = f.onEvents(() -> f.registry().define(List.of(counting("snapbad", disk).build()), null).get(0));
                VmProcess p = receive(f, vm, stream);
                VmTerminated end = p.end().get(60, TimeUnit.SECONDS);
                assertTrue(end.reason().contains("snapshot stream version 9; this vmd reads version 1"), end.reason());
            }
        } finally {
            Files.deleteIfExists(stream);
            VmFixture.deleteScratch(disk);
        }
    }
}

package vmd.vmctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.imsg.VmInfo;

class VmctlUnitTest {
    @TempDir
    Path dir;

    @Test
    void fmtScaledLikeOpenBsd() {
        assertEquals("0B", Scaled.format(0));
        assertEquals("64.0M", Scaled.format(64L << 20));
        assertEquals("512M", Scaled.format(512L << 20));
        assertEquals("1.0G", Scaled.format(1L << 30));
        assertEquals("1.5K", Scaled.format(1500));
        assertEquals("272K", Scaled.format(272 * 1024));
        assertEquals(1536L << 20, Scaled.parse("1.5G"));
        assertEquals(64L << 20, Scaled.parse("64m"));
        assertThrows(NumberFormatException.class, () -> Scaled.parse("lots"));
    }

    @Test
    void statusAsJson() {
        String j = StatusJson.of(List.of(
                new VmInfo(1, 4242, 2, 1L << 30, 300L << 20, "/dev/pts/3", 1000, 1000, "alice", "running", "web", ""),
                new VmInfo(2, 0, 1, 512L << 20, 0, "", 0, -1, "root", "stopped", "d\"b\\", "poweroff\n(ACPI S5)\u0001")));
        assertEquals("[\n"
                + "  {\"id\": 1, \"name\": \"web\", \"state\": \"running\", \"pid\": 4242, \"vcpus\": 2, \"maxmem\": 1073741824,"
                + " \"curmem\": 314572800, \"tty\": \"/dev/pts/3\", \"owner\": \"alice\", \"uid\": 1000, \"gid\": 1000, \"last_event\": \"\"},\n"
                + "  {\"id\": 2, \"name\": \"d\\\"b\\\\\", \"state\": \"stopped\", \"pid\": null, \"vcpus\": 1, \"maxmem\": 536870912,"
                + " \"curmem\": null, \"tty\": null, \"owner\": \"root\", \"uid\": 0, \"gid\": -1,"
                + " \"last_event\": \"poweroff\\n(ACPI S5)\\u0001\"}\n]", j);
        assertEquals("[]", StatusJson.of(List.of()));
    }

    @Test
    void statusTableColumnsAreOpenBsds() {
        List<String> t = StatusCommand.table(List.of(
                new VmInfo(1, 4242, 2, 1L << 30, 300L << 20, "/dev/pts/3", 1000, -1, "alice", "running", "web", ""),
                new VmInfo(2, 0, 1, 512L << 20, 0, "", 0, -1, "root", "stopped", "db", "poweroff (ACPI S5)")), null, false, false);
        assertEquals("   ID   PID VCPUS  MAXMEM  CURMEM     TTY        OWNER    STATE NAME", t.get(0));
        assertEquals("    1  4242     2    1.0G    300M   pts/3        alice  running web", t.get(1));
        assertEquals("    2     -     1    512M       -       -         root  stopped db", t.get(2));
        assertEquals("      last event: poweroff (ACPI S5)", StatusCommand.table(List.of(
                new VmInfo(2, 0, 1, 512L << 20, 0, "", 0, -1, "root", "stopped", "db", "poweroff (ACPI S5)")), null, false, true)
                .get(2), "vmctl -v status says why a VM last stopped");
        assertEquals(2, StatusCommand.table(List.of(
                new VmInfo(2, 0, 1, 512L << 20, 0, "", 0, -1, "root", "stopped", "db", "")), "db", false, false).size());
        assertEquals(1, StatusCommand.table(List.of(
                new VmInfo(2, 0, 1, 512L << 20, 0, "", 0, -1, "root", "stopped", "db", "")), null, true, false).size());
    }

    @Test
    void optionsBeforeOrAfterTheName() {
        Args a = Args.parse("b:cm:", List.of("web", "-c", "-m", "1G", "-b/bsd"));
        assertEquals(List.of("web"), a.operands);
        assertTrue(a.has('c'));
        Args b = Args.parse("b:cm:", List.of("-cm1G", "web"));
        assertEquals("1G", b.options.get(1).value());
        assertThrows(UsageException.class, () -> Args.parse("c", List.of("-x")));
    }

    private int vmctl(ByteArrayOutputStream err, String... args) {
        return VmctlMain.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
    }

    @Test
    void prefixesAmbiguityAndErrors() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(1, vmctl(err, "-s", dir.resolve("none").toString(), "stat"));
        assertTrue(err.toString().startsWith("vmctl: connect: "), err.toString());
        err.reset();
        assertEquals(1, vmctl(err, "st"));
        assertTrue(err.toString().startsWith("ambiguous argument: st"), err.toString());
        err.reset();
        assertEquals(1, vmctl(err, "frobnicate"));
        assertTrue(err.toString().startsWith("unknown argument: frobnicate"), err.toString());
        err.reset();
        assertEquals(1, vmctl(err, "stop"));
        assertTrue(err.toString().contains("usage:\tvmctl [-v] stop [-fw] [id | -a]"), err.toString());
    }

    @Test
    void sendAndReceiveCheckTheirArgumentsBeforeAnyConnection() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(1, vmctl(err, "send"));
        assertTrue(err.toString().contains("usage:\tvmctl [-v] send [-l host:port] id"), err.toString());
        err.reset();
        assertEquals(1, vmctl(err, "receive", "a", "b"));
        assertTrue(err.toString().contains("usage:\tvmctl [-v] receive [-l host:port] name"), err.toString());
        err.reset();
        assertEquals(1, vmctl(err, "send", "web", "-l"));
        assertTrue(err.toString().contains("usage:\tvmctl [-v] send"), err.toString());
        err.reset();
        assertEquals(1, vmctl(err, "send", "-l", "no-port", "web"));
        assertTrue(err.toString().startsWith("vmctl: "), err.toString());
        assertTrue(err.toString().contains("no-port"), err.toString());
        err.reset();
        // nothing listens on port 1 of loopback: refused before vmd is asked anything
        assertEquals(1, vmctl(err, "-s", dir.resolve("none").toString(), "send", "-l", "127.0.0.1:1", "web"));
        assertTrue(err.toString().startsWith("vmctl: ") && !err.toString().contains("connect: " + dir), err.toString());
    }

    @Test
    void createMakesSparseRawImages() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path img = dir.resolve("disk.img");
        assertEquals(0, vmctl(err, "create", "-s", "10G", img.toString()));
        assertEquals("vmctl: raw imagefile created\n", err.toString());
        assertEquals(10L << 30, Files.size(img));
        Process stat = new ProcessBuilder("stat", "-c", "%b", img.toString()).start();
        assertTrue(Long.parseLong(new String(stat.getInputStream().readAllBytes()).trim()) < 64, "sparse");
        err.reset();
        assertEquals(1, vmctl(err, "create", "-s", "1G", img.toString()));
        assertEquals("vmctl: create imagefile operation failed: File exists\n", err.toString());
        err.reset();
        img = dir.resolve("small.img");
        assertEquals(0, vmctl(err, "create", "-s", "16M", img.toString()));
        Files.write(img, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.WRITE);
        Path copy = dir.resolve("copy.img");
        assertEquals(0, vmctl(err, "create", "-i", img.toString(), copy.toString()));
        assertEquals(16L << 20, Files.size(copy));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(copy)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(3);
            ch.read(b, 0);
            assertEquals(2, b.get(1));
        }
        err.reset();
        assertEquals(1, vmctl(err, "create", dir.resolve("nosize").toString()));
        assertTrue(err.toString().contains("missing size argument"), err.toString());
    }

    /** qcow2 images, overlays and conversions, checked by qemu-img (the reference implementation). */
    @Test
    void createMakesQcow2ImagesQemuImgAccepts() throws Exception {
        vmd.testing.Prerequisites.requireTool("/usr/bin/qemu-img");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path base = dir.resolve("base.qcow2");
        assertEquals(0, vmctl(err, "create", "-s", "64M", "qcow2:" + base));
        assertEquals("vmctl: qcow2 imagefile created\n", err.toString());
        Path overlay = dir.resolve("top.qcow2");
        assertEquals(0, vmctl(err, "create", "-b", base.getFileName().toString(), overlay.toString()));
        Path raw = dir.resolve("data.raw");
        byte[] data = new byte[4 << 20];
        new java.util.Random(3).nextBytes(data);
        Files.write(raw, data);
        Path converted = dir.resolve("conv.qcow2");
        assertEquals(0, vmctl(err, "create", "-i", raw.toString(), converted.toString()));
        for (Path p : List.of(base, overlay, converted)) {
            assertEquals(0, new ProcessBuilder("qemu-img", "check", "-q", p.toString()).inheritIO().start().waitFor(), "check " + p);
        }
        String info = new String(new ProcessBuilder("qemu-img", "info", overlay.toString()).start().getInputStream().readAllBytes());
        assertTrue(info.contains("backing file: base.qcow2"), info);
        assertEquals(0, new ProcessBuilder("qemu-img", "compare", "-q", raw.toString(), converted.toString())
                .inheritIO().start().waitFor(), "the conversion reads back identical");
    }
}

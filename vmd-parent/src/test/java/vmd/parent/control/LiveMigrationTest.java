package vmd.parent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.parent.vms.VmFixture;
import vmd.testing.Prerequisites;

/**
 * {@code vmctl send -l} / {@code vmctl receive -l} between two vmd daemons, each in a
 * network namespace of its own (joined by a veth pair this test creates), sharing the
 * guest's disk image as two hosts share a SAN. While the guest counts, it moves; on the
 * destination its counter goes on without a gap, and its net and blk commands pass
 * through the destination's vionet and vioblk. The source VM ends only after the
 * destination said it runs.
 */
class LiveMigrationTest {
    private static final String SRC_IP = "10.213.0.1", DST_IP = "10.213.0.2", PORT = "7123";

    @TempDir
    Path dir;

    private static void ip(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("/usr/sbin/ip"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
    }

    private static String config(Path disk, boolean disabled) {
        return "user " + Prerequisites.childUser() + "\n" + vm("mover", "64M", disk, disabled)
                + (disabled ? vm("bigger", "128M", disk, true) : ""); // the destination also has one that does not fit
    }

    private static String vm(String name, String memory, Path disk, boolean disabled) {
        return "vm \"" + name + "\" {\n" + (disabled ? "  disable\n" : "") + "  boot \"" + VmFixture.TEST_GUEST + "\"\n  memory "
                + memory + "\n  disk \"" + disk + "\"\n  local interface\n  cmdline \"console=ttyS0 vmdtest=net,count\"\n}\n";
    }

    private static void awaitText(StringBuffer console, String text, int from) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (console.indexOf(text, from) < 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("console never showed \"" + text.trim() + "\":\n" + console);
            Thread.sleep(50);
        }
    }

    private static String tty(String vmctlErr) {
        return vmctlErr.replaceAll("(?s).*tty (/dev/pts/[0-9]+).*", "$1").trim();
    }

    @Test
    void aCountingGuestMovesBetweenTwoDaemonsWhileItRuns() throws Exception {
        Prerequisites.requireKvm();
        Prerequisites.requireChildUser();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        Prerequisites.requireTool("/usr/bin/qemu-img");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String tag = Long.toString(ProcessHandle.current().pid());
        String src = "vmdmig-a-" + tag, dst = "vmdmig-b-" + tag;
        // qcow2, vmctl create's default: its cached metadata changes hands with the VM (ImageHandover)
        Path disk = dir.resolve("mover.qcow2");
        vmd.disk.Qcow2Creator.create(disk, 4 << 20);
        Path srcDir = Files.createDirectory(dir.resolve("src")), dstDir = Files.createDirectory(dir.resolve("dst"));
        ip("netns", "add", src);
        ip("netns", "add", dst);
        List<String> inSrc = List.of("/usr/sbin/ip", "netns", "exec", src), inDst = List.of("/usr/sbin/ip", "netns", "exec", dst);
        try (VmdDaemon a = new VmdDaemon(srcDir, inSrc); VmdDaemon b = new VmdDaemon(dstDir, inDst)) {
            ip("link", "add", "vmdmig" + tag.substring(Math.max(0, tag.length() - 6)), "netns", src, "type", "veth", "peer", "name", "peer0",
                    "netns", dst);
            String veth = "vmdmig" + tag.substring(Math.max(0, tag.length() - 6));
            ip("-n", src, "addr", "add", SRC_IP + "/30", "dev", veth);
            ip("-n", dst, "addr", "add", DST_IP + "/30", "dev", "peer0");
            for (String[] l : new String[][] {{src, veth}, {dst, "peer0"}, {src, "lo"}, {dst, "lo"}}) ip("-n", l[0], "link", "set", l[1], "up");

            a.start(config(disk, false), "mover: started vm");
            b.start(config(disk, true), "startup: control socket");
            VmdDaemon.Result status = VmdDaemon.finish(a.vmctl(List.of(), "status", "mover"));
            assertEquals(0, status.rc(), status.err());
            String srcTty = status.out().replaceAll("(?s).*(pts/[0-9]+).*", "/dev/$1").trim();
            StringBuffer console = new StringBuffer();
            try (InputStream in = Files.newInputStream(Path.of(srcTty))) {
                VmdDaemon.pump(in, console);
                awaitText(console, "count 3\r", 0);
                assertTrue(console.toString().contains("VMDTEST OK net"), console.toString());

                // refused: nothing listens; then a destination VM of another shape. The guest runs on here.
                VmdDaemon.Result unheard = VmdDaemon.finish(a.vmctl(inSrc, "send", "-l", DST_IP + ":" + PORT, "mover"));
                assertEquals(1, unheard.rc(), unheard.err());
                Process wrong = b.vmctl(inDst, "receive", "-l", DST_IP + ":" + PORT, "bigger");
                Thread.sleep(2000); // let it listen: the sender connects once
                VmdDaemon.Result refused = VmdDaemon.finish(a.vmctl(inSrc, "send", "-l", DST_IP + ":" + PORT, "mover"));
                VmdDaemon.Result wrongEnd = VmdDaemon.finish(wrong);
                assertEquals(1, refused.rc(), refused.err() + "\n" + a.log());
                assertTrue(refused.err().contains("memory 64M, this VM 128M"), refused.err());
                assertEquals(1, wrongEnd.rc(), wrongEnd.err());
                int before = console.length();
                awaitText(console, "count " + (lastCount(console.toString()) + 2) + "\r", before);
                VmdDaemon.Result stillHere = VmdDaemon.finish(a.vmctl(List.of(), "status", "mover"));
                assertTrue(stillHere.out().contains("running"), stillHere.out());

                Process receive = b.vmctl(inDst, "receive", "-l", DST_IP + ":" + PORT, "mover");
                Thread.sleep(2000); // let it listen: the sender connects once
                VmdDaemon.Result sent = VmdDaemon.finish(a.vmctl(inSrc, "send", "-l", DST_IP + ":" + PORT, "mover"));
                VmdDaemon.Result received = VmdDaemon.finish(receive);
                assertEquals(0, sent.rc(), sent.err() + "\n" + a.log() + "\n" + b.log());
                assertEquals(0, received.rc(), received.err() + "\n" + b.log());
                assertTrue(sent.err().contains("migrated:"), sent.err());
                System.out.println("live migration: " + sent.err().trim());

                // the destination's console: the same guest, counting on
                long last = lastCount(console.toString());
                StringBuffer moved = new StringBuffer();
                try (InputStream in2 = Files.newInputStream(Path.of(tty(received.err())));
                     OutputStream keys = Files.newOutputStream(Path.of(tty(received.err())))) {
                    VmdDaemon.pump(in2, moved);
                    awaitText(moved, "count " + (last + 3) + "\r", 0);
                    assertFalse(moved.toString().contains("vmd test guest"), "booted again:\n" + moved);
                    long first = firstCount(moved.toString());
                    assertTrue(first <= last + 1 && first >= last - 1, "counted " + last + " on the source, then " + first);
                    keys.write("x".getBytes(StandardCharsets.US_ASCII));
                    keys.flush();
                    awaitText(moved, "VMDTEST OK count", 0);
                    int net = moved.length();
                    keys.write("net\r".getBytes(StandardCharsets.US_ASCII));
                    keys.flush();
                    awaitText(moved, "VMDTEST OK net", net);
                    int blk = moved.length();
                    keys.write("blk\r".getBytes(StandardCharsets.US_ASCII));
                    keys.flush();
                    awaitText(moved, "VMDTEST OK blk", blk);
                }
                VmdDaemon.Result srcStatus = VmdDaemon.finish(a.vmctl(List.of(), "status", "mover"));
                assertTrue(srcStatus.out().contains("stopped"), srcStatus.out());
            }
            VmdDaemon.finish(b.vmctl(List.of(), "stop", "-f", "-w", "mover"));
            Process check = new ProcessBuilder("qemu-img", "check", disk.toString()).redirectErrorStream(true).start();
            String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, check.waitFor(), "qemu-img check after the move:\n" + checked);
        } finally {
            new ProcessBuilder("/usr/sbin/ip", "netns", "del", src).inheritIO().start().waitFor();
            new ProcessBuilder("/usr/sbin/ip", "netns", "del", dst).inheritIO().start().waitFor();
        }
    }

    private static final Pattern COUNT = Pattern.compile("count (\\d+)\r");

    private static long lastCount(String console) {
        Matcher m = COUNT.matcher(console);
        long last = -1;
        while (m.find()) last = Long.parseLong(m.group(1));
        return last;
    }

    private static long firstCount(String console) {
        Matcher m = COUNT.matcher(console);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}

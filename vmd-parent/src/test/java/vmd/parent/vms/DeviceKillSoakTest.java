package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.parent.config.ConfigParser;
import vmd.parent.config.DeviceRestarts;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.VmConfig;
import vmd.testing.Prerequisites;

/**
 * The device-kill soak, short form (bench/soak.sh runs it with VMD_SOAK_KILLS=100): the
 * test guest's {@code blksoak} loop writes, flushes and verifies its disk while
 * {@link DeviceKillSoak} SIGKILLs the vioblk process at random moments. Every kill must be
 * followed by a restart and more guest progress, with no guest-visible I/O error and no
 * mismatch (a flushed write lost across a restart shows as one), and afterwards the image
 * holds what the guest last flushed to each region. The same for vionet: the guest's
 * {@code netsoak} stop-and-wait transfer through a UDP echo server on the tap's host side
 * (in a network namespace of the test's own) must go on after every kill with every echo
 * intact; datagrams lost while the device restarts are sent again, and counted.
 */
class DeviceKillSoakTest {
    private static final int KILLS = Integer.parseInt(System.getenv().getOrDefault("VMD_SOAK_KILLS", "10"));
    private static final long BASE_SECTOR = 2048, REGION_BYTES = 64 * 1024;
    private static final Duration BOOT = Duration.ofSeconds(60);
    /** The budget raised as a user would, with vm.conf's {@code device restarts}. */
    private static final DeviceRestarts SOAK_RESTARTS = new ConfigParser()
            .parseText("vm.conf", "device restarts " + (KILLS + 10) + " per 60\n", java.util.Map.of()).config().deviceRestarts();

    @TempDir
    Path dir;

    @Test
    void vioblkOnARawImage() throws Exception {
        Path disk = dir.resolve("soak.raw");
        Files.write(disk, new byte[4 << 20]);
        soak(disk, DiskFormat.RAW);
    }

    @Test
    void vioblkOnAQcow2Image() throws Exception {
        Prerequisites.requireTool("/usr/bin/qemu-img");
        Path disk = dir.resolve("soak.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "4M");
        soak(disk, DiskFormat.QCOW2);
        run("qemu-img", "check", "-q", "-f", "qcow2", disk.toString());
    }

    static final String ECHO = String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5556))",
            "print('READY', flush=True)",
            "while True:",
            "    d, a = s.recvfrom(65536); s.sendto(d, a)",
            "");

    @Test
    void vionetWithAnEchoTransfer() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool("/usr/sbin/ip");
        Prerequisites.requireTool("/usr/bin/python3");
        String ns = "vmdtest-soak-" + ProcessHandle.current().pid();
        VionetVmTest.run("/usr/sbin/ip", "netns", "add", ns);
        Process echo = null;
        String console;
        DeviceKillSoak soak;
        try (VmFixture f = new VmFixture()) {
            VionetVmTest.run("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up");
            Path script = dir.resolve("echo.py");
            Files.writeString(script, ECHO);
            echo = new ProcessBuilder("/usr/sbin/ip", "netns", "exec", ns, "/usr/bin/python3", script.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("echo.log").toFile()).start();
            ParentNetns.enter(f, ns);
            f.onEvents(() -> f.registry().deviceRestarts(SOAK_RESTARTS));
            Vm vm = f.start(VmConfig.builder("netsoak").boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20)
                    .iface(new InterfaceConfig(true, null, null, null, false, null, -1, true))
                    .cmdline("console=ttyS0 vmdtest=netsoak").build());
            f.awaitConsole("VMDTEST READY", BOOT);
            soak = new DeviceKillSoak(f, vm, "vionet", "netsoak: ", 43);
            soak.run(KILLS);
            int mark = f.mark();
            f.type("q");
            f.awaitConsole("VMDTEST ", Duration.ofSeconds(60), mark);
            console = f.console();
        } finally {
            if (echo != null) echo.destroyForcibly();
            VionetVmTest.run("/usr/sbin/ip", "netns", "del", ns);
        }
        String summary = group(console, "(netsoak: \\d+ datagrams echoed, .*)");
        System.out.println("soak vionet: " + soak.report() + "; guest: " + summary + "; transfer errors "
                + (console.contains("netsoak: no echo") ? 1 : 0));
        assertEquals(KILLS, soak.kills());
        assertEquals(KILLS, soak.restarts(), "every kill was followed by a restart");
        assertTrue(summary.contains(" 0 mismatches"), "every echo intact: " + summary);
        assertTrue(console.contains("VMDTEST OK netsoak"), tail(console));
    }

    private void soak(Path disk, DiskFormat format) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-r--r--"));
        String console;
        DeviceKillSoak soak;
        try (VmFixture f = new VmFixture()) {
            f.onEvents(() -> f.registry().deviceRestarts(SOAK_RESTARTS));
            Vm vm = f.start(VmConfig.builder("soak").boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20)
                    .disk(disk.toString(), format).cmdline("console=ttyS0 vmdtest=blksoak vmdtest.seed=3").build());
            f.awaitConsole("VMDTEST READY", BOOT);
            soak = new DeviceKillSoak(f, vm, "vioblk", "blksoak: ", 42);
            soak.run(KILLS);
            int mark = f.mark();
            f.type("q");
            f.awaitConsole("VMDTEST ", Duration.ofSeconds(30), mark);
            console = f.console();
        }
        String summary = group(console, "(blksoak: \\d+ iterations, .*)");
        int ioErrors = console.contains("blksoak: I/O error") ? 1 : 0; // the guest stops at the first
        int regions = ioErrors == 0 ? imageHoldsTheLastFlushedSeeds(console, disk, format) : 0;
        System.out.println("soak " + format + ": " + soak.report() + "; guest: " + summary + "; I/O errors " + ioErrors
                + "; flushed writes lost 0 of " + regions + " regions checked in the image");
        assertEquals(KILLS, soak.kills());
        assertEquals(KILLS, soak.restarts(), "every kill was followed by a restart");
        assertEquals(0, ioErrors, "no guest-visible I/O error:\n" + tail(console));
        assertTrue(summary.contains(" 0 mismatches"), "no flushed write lost or corrupted: " + summary);
        assertTrue(console.contains("VMDTEST OK blksoak"), tail(console));
    }

    /** Each region of the image (as qemu-img reads it, for qcow2) holds its last seed's pattern; returns how many. */
    private int imageHoldsTheLastFlushedSeeds(String console, Path disk, DiskFormat format) throws Exception {
        Path raw = disk;
        if (format == DiskFormat.QCOW2) {
            raw = dir.resolve("soak.out.raw");
            run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", disk.toString(), raw.toString());
        }
        Matcher m = Pattern.compile("blksoak: region sector (\\d+) seed (\\d+)").matcher(console);
        int regions = 0;
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "r")) {
            while (m.find()) {
                long sector = Long.parseLong(m.group(1));
                long seed = Long.parseUnsignedLong(m.group(2));
                byte[] got = new byte[(int) REGION_BYTES];
                f.seek(sector * 512);
                f.readFully(got);
                assertArrayEquals(GuestBlkTest.pattern((int) REGION_BYTES, seed), got, "region at sector " + sector + " seed " + seed);
                assertTrue(sector >= BASE_SECTOR);
                regions++;
            }
        }
        assertTrue(regions > 0, "the guest reported its regions");
        return regions;
    }

    private static String group(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        if (!m.find()) throw new AssertionError("no " + regex + " in:\n" + tail(s));
        return m.group(1);
    }

    private static String tail(String console) {
        return console.length() > 3000 ? console.substring(console.length() - 3000) : console;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ":\n" + out);
    }
}

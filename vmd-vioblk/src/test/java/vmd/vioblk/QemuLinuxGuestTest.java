package vmd.vioblk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.testing.Prerequisites;

/**
 * A real Linux virtio-blk driver against our vioblk process: QEMU under TCG is the
 * vhost-user front-end (guest RAM in a shared memfd), the Debian kernel and initramfs
 * from scripts/guest-images.sh run the `blk` scenario, and the host checks every hash
 * the guest prints against the image file.
 */
class QemuLinuxGuestTest {
    private static final long MIB = 1 << 20;
    private static final Pattern SHA = Pattern.compile("VMDGUEST SHA256 (\\S+) ([0-9a-f]{64})");

    @TempDir
    Path tmp;

    static Path images() {
        String d = System.getenv("VMD_GUEST_IMAGES");
        return Path.of(d != null ? d : "/var/cache/vmd/guest-images");
    }

    @Test
    void linuxReadsAndWritesARawDisk() throws Exception {
        Path disk = tmp.resolve("disk.raw");
        Files.write(disk, knownData(64 * MIB));
        List<String> out = boot(disk, "raw");
        checkHashes(out, Files.readAllBytes(disk));
    }

    @Test
    void linuxReadsAndWritesAQcow2Overlay() throws Exception {
        Prerequisites.requireTool("/usr/bin/qemu-img");
        Path base = tmp.resolve("base.raw");
        Files.write(base, knownData(64 * MIB));
        Path top = tmp.resolve("top.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        List<String> out = boot(top, "qcow2");
        run("qemu-img", "check", "-q", top.toString());
        Path flat = tmp.resolve("flat.raw");
        run("qemu-img", "convert", "-O", "raw", top.toString(), flat.toString());
        checkHashes(out, Files.readAllBytes(flat));
    }

    /** Runs the guest's blk scenario against our back-end serving {@code image}; returns its console. */
    private List<String> boot(Path image, String what) throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.requireTool("/usr/bin/qemu-system-x86_64");
        Path kernel = images().resolve("vmlinuz"), initrd = images().resolve("initramfs.cpio.gz");
        Prerequisites.require(Files.isReadable(kernel) && Files.isReadable(initrd), kernel + " (run scripts/guest-images.sh)");
        Path sock = tmp.resolve("vioblk.sock");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process backend = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), VioblkMain.class.getName(), "--socket-path", sock.toString(),
                image.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("vioblk.log").toFile()).start();
        Process qemu = null;
        try {
            for (int i = 0; i < 300 && !Files.exists(sock); i++) Thread.sleep(50);
            assertTrue(Files.exists(sock), "vioblk listens: " + Files.readString(tmp.resolve("vioblk.log")));
            qemu = new ProcessBuilder("qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-smp", "1",
                    "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
                    "-chardev", "socket,id=c0,path=" + sock, "-device", "vhost-user-blk-pci,chardev=c0,num-queues=1",
                    "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                    "-append", "console=ttyS0 panic=-1 vmdguest.run=blk vmdguest.seed=5 vmdguest.blk_read_mb=4 "
                            + "vmdguest.blk_offset_mb=8 vmdguest.blk_len_mb=4",
                    "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot", "-nodefaults")
                    .redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            }
            assertTrue(qemu.waitFor(300, TimeUnit.SECONDS), "qemu ends when the guest powers off");
            assertTrue(lines.stream().anyMatch(l -> l.contains("VMDGUEST PASS blk")),
                    what + ": the guest's blk scenario passed:\n" + String.join("\n", lines));
            return lines;
        } finally {
            if (qemu != null) qemu.destroyForcibly().waitFor();
            backend.destroy();
            backend.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private void checkHashes(List<String> console, byte[] image) throws Exception {
        String vda = null, written = null;
        for (String l : console) {
            Matcher m = SHA.matcher(l);
            if (!m.find()) continue;
            if (m.group(1).equals("written")) written = m.group(2);
            else if (m.group(1).startsWith("vd")) vda = m.group(2);
        }
        assertEquals(sha256(image, 0, (int) (4 * MIB)), vda, "what Linux read is what the image held");
        assertEquals(sha256(image, (int) (8 * MIB), (int) (4 * MIB)), written, "what Linux wrote reached the image");
    }

    static byte[] knownData(long size) {
        byte[] d = new byte[(int) size];
        new Random(42).nextBytes(d);
        return d;
    }

    static String sha256(byte[] data, int off, int len) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(data, off, len);
        return HexFormat.of().formatHex(md.digest());
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }

}

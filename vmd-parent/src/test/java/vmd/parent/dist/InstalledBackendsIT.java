package vmd.parent.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.parent.vms.VmFixture;
import vmd.testing.Prerequisites;
import vmd.vhostuser.ConfigSpace;
import vmd.vhostuser.UnixListener;
import vmd.vhostuser.VhostUserConnection;
import vmd.vhostuser.VhostUserMessage;
import vmd.vhostuser.VhostUserRequest;
import vmd.virtio.VirtioFeatures;

/**
 * The back-ends as a QEMU or libvirt user installs them ({@code scripts/install.sh} into a
 * scratch PREFIX): a vhost-user descriptor per back-end naming an executable program, the
 * program answering {@code --print-capabilities} as vhost-user.json describes, refusing a
 * bad command line or a missing image with a one-line reason, and {@code vmd-vioblk --socket-path} serving an image to
 * a vhost-user front-end from the JVM vmd gives its vioblk children (its AOT cache mapped).
 */
class InstalledBackendsIT {
    private Path prefix;
    private Process backend;

    @BeforeEach
    void install() throws Exception {
        Path root = VmFixture.buildRoot();
        Prerequisites.require(Files.isExecutable(root.resolve("build/vmd/bin/vmd")), root + "/build/vmd (mvn package)");
        prefix = Files.createTempDirectory(Path.of("/tmp"), "vmd-prefix-");
        Files.createDirectories(prefix.resolve("units"));
        ProcessBuilder pb = new ProcessBuilder("sh", root.resolve("scripts/install.sh").toString()).redirectErrorStream(true);
        pb.environment().put("PREFIX", prefix.toString());
        pb.environment().put("SYSTEMD_UNIT_DIR", prefix.resolve("units").toString());
        Result r = run(pb);
        assertEquals(0, r.status, "install.sh:\n" + r.out);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (backend != null) {
            backend.destroyForcibly();
            backend.waitFor(30, TimeUnit.SECONDS);
        }
        if (prefix != null) new ProcessBuilder("rm", "-rf", prefix.toString()).start().waitFor();
    }

    @Test
    void eachBackendHasADescriptorNamingAProgramThatPrintsItsCapabilities() throws Exception {
        for (String[] k : new String[][] {{"vioblk", "block", "\"read-only\""}, {"vionet", "net", "\"type\": \"net\""}}) {
            Path json = prefix.resolve("share/qemu/vhost-user/50-vmd-" + k[0] + ".json");
            String descriptor = Files.readString(json);
            assertEquals(k[1], field(descriptor, "type"), json.toString());
            assertTrue(field(descriptor, "description").contains("vmd"), descriptor);
            Path binary = Path.of(field(descriptor, "binary"));
            assertEquals(prefix.resolve("libexec/vmd-" + k[0]), binary);
            assertTrue(Files.isExecutable(binary), binary + " is not executable");
            Result caps = run(new ProcessBuilder(binary.toString(), "--print-capabilities"));
            assertEquals(0, caps.status, caps.out);
            assertEquals(k[1], field(caps.out, "type"), caps.out);
            assertTrue(caps.out.contains(k[2]), caps.out);
            Result bad = run(new ProcessBuilder(binary.toString(), "--socket-path=/tmp/x", "--fd=3").redirectErrorStream(true));
            assertEquals(1, bad.status, bad.out);
            assertTrue(bad.out.contains("vmd-" + k[0] + ": --socket-path and --fd are incompatible") && bad.out.contains("usage: vmd-" + k[0]), bad.out);
            assertTrue(Files.isRegularFile(prefix.resolve("share/man/man8/vmd-" + k[0] + ".8")), "man page of vmd-" + k[0]);
        }
        Path missing = prefix.resolve("no-such.qcow2");
        Result noImage = run(new ProcessBuilder(prefix.resolve("libexec/vmd-vioblk").toString(), "--socket-path=" + prefix.resolve("s"),
                missing.toString()).redirectErrorStream(true));
        assertEquals(1, noImage.status, noImage.out);
        assertTrue(noImage.out.startsWith("vmd-vioblk: ") && noImage.out.contains(missing.toString()) && !noImage.out.contains("\tat "),
                "one line naming the image, no stack trace:\n" + noImage.out);
    }

    @Test
    void vioblkServesAnImageOverItsSocketFromItsAotCache() throws Exception {
        Path image = prefix.resolve("disk.raw");
        Files.write(image, new byte[3 << 20]);
        Path sock = prefix.resolve("disk.sock");
        backend = new ProcessBuilder(prefix.resolve("libexec/vmd-vioblk").toString(), "--socket-path=" + sock, "--read-only",
                "--blk-file", image.toString()).redirectErrorStream(true).redirectOutput(prefix.resolve("vioblk.log").toFile()).start();
        try (VhostUserConnection front = new VhostUserConnection(UnixListener.connect(sock, 60_000))) {
            front.send(VhostUserMessage.request(VhostUserRequest.GET_FEATURES));
            long features = front.receive(30_000).u64();
            assertTrue((features & VirtioFeatures.bit(VirtioFeatures.VERSION_1)) != 0, Long.toHexString(features));
            assertTrue((features & (1L << 5)) != 0, "VIRTIO_BLK_F_RO for --read-only: " + Long.toHexString(features));
            front.send(VhostUserMessage.request(VhostUserRequest.GET_PROTOCOL_FEATURES));
            front.send(VhostUserMessage.request(VhostUserRequest.SET_PROTOCOL_FEATURES, VhostUserMessage.u64(front.receive(30_000).u64())));
            front.send(VhostUserMessage.request(VhostUserRequest.GET_CONFIG, new ConfigSpace(0, 0, new byte[8]).encode()));
            VhostUserMessage reply = front.receive(30_000);
            ByteBuffer config = ByteBuffer.wrap(reply.payload(), ConfigSpace.HEADER, 8).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals((3 << 20) / 512, config.getLong(), "capacity in sectors");
        }
        String maps = Files.readString(Path.of("/proc/" + backend.pid() + "/maps"));
        assertTrue(maps.contains(prefix.resolve("lib/vmd/lib/vmd-guest.aot").toString()), "the launcher's JVM maps its AOT cache");
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), "no \"" + name + "\" in " + json);
        return m.group(1);
    }

    private record Result(int status, String out) {}

    private static Result run(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), pb.command() + " did not finish");
        return new Result(p.exitValue(), out);
    }
}

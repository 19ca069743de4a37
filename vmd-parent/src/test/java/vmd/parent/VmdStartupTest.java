package vmd.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.parent.vms.VmFixture;
import vmd.testing.Prerequisites;

/** Where a newcomer trips when vmd starts, with the real daemon as a process. */
class VmdStartupTest {
    private static final String NO_USER = "vmd-test-no-such-user";
    private static final String NO_USER_LINE = "vmd: user " + NO_USER + " does not exist (create it with: useradd"
            + " --system --no-create-home --home-dir /var/empty --shell /usr/sbin/nologin " + NO_USER + ")";

    @TempDir
    Path dir;

    /**
     * A child user that does not exist: one line that says how to create it and status 1,
     * before anything is spawned (no control socket, no child), in the foreground and when
     * daemonizing alike. Needs no root: vmd stops before it would.
     */
    @Test
    void aMissingChildUserIsOneLineBeforeAnythingStarts() throws Exception {
        Path conf = Files.writeString(dir.resolve("vm.conf"), "user " + NO_USER + "\nvm \"a\" { memory 64M }\n");
        Path sock = dir.resolve("vmd.sock");
        for (List<String> mode : List.of(List.of("-d"), List.<String>of())) {
            List<String> args = new java.util.ArrayList<>(mode);
            args.addAll(List.of("-f", conf.toString(), "-s", sock.toString(), "-p", dir.resolve("vmd.pid").toString()));
            VmdRun r = VmdRun.run(Duration.ofSeconds(60), args.toArray(String[]::new));
            assertEquals(List.of(NO_USER_LINE), r.lines(), "vmd " + args);
            assertEquals(1, r.status());
            assertFalse(Files.exists(sock), "no control socket was made");
        }
    }

    /**
     * One VM's missing disk and another's missing kernel: each fails to start with one log
     * line that names it and the file, and the third VM of the file starts and runs.
     */
    @Test
    void aVmWithAMissingImageFailsAloneAndTheOthersStart() throws Exception {
        Prerequisites.requireKvm();
        Prerequisites.requireChildUser();
        Prerequisites.require(Files.isReadable(VmFixture.TEST_GUEST), VmFixture.TEST_GUEST.toString());
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path disk = dir.resolve("absent.img");
        Path kernel = dir.resolve("absent-kernel");
        String guest = "\tboot \"" + VmFixture.TEST_GUEST + "\"\n\tcmdline \"console=ttyS0\"\n\tmemory 32M\n";
        Path conf = Files.writeString(dir.resolve("vm.conf"), "user " + Prerequisites.childUser() + "\n"
                + "vm \"nodisk\" {\n" + guest + "\tdisk \"" + disk + "\"\n}\n"
                + "vm \"nokernel\" {\n\tboot \"" + kernel + "\"\n\tmemory 32M\n}\n"
                + "vm \"good\" {\n" + guest + "}\n");
        VmdRun vmd = VmdRun.start("-d", "-f", conf.toString(), "-s", dir.resolve("vmd.sock").toString());
        try {
            vmd.awaitOutput("good: started vm", Duration.ofSeconds(60));
            vmd.awaitOutput("good: ", Duration.ofSeconds(60));
            List<String> nodisk = vmd.lines().stream().filter(l -> l.contains("nodisk")).toList();
            List<String> nokernel = vmd.lines().stream().filter(l -> l.contains("nokernel")).toList();
            assertEquals(1, nodisk.size(), vmd.output());
            assertTrue(nodisk.get(0).endsWith("nodisk: not started: disk " + disk + ": ENOENT (No such file or directory)"),
                    nodisk.get(0));
            assertEquals(1, nokernel.size(), vmd.output());
            assertTrue(nokernel.get(0).endsWith("nokernel: not started: kernel " + kernel
                    + ": ENOENT (No such file or directory)"), nokernel.get(0));
            assertTrue(vmd.alive(), vmd.output());
        } finally {
            vmd.stop(Duration.ofSeconds(90));
        }
        assertTrue(vmd.output().contains("terminating"), vmd.output());
    }
}

package vmd.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmd -n -f file} as a process: "configuration OK" and status 0 when vmd would
 * start, the diagnostics and status 1 when it would not, and an image it cannot open as a
 * warning that leaves the status 0. Needs no root: the files name the user root, which
 * every host has.
 */
class VmdCheckTest {
    private static final Duration RUN = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private VmdRun check(String text) throws Exception {
        Path conf = dir.resolve("vm.conf");
        Files.writeString(conf, text);
        return VmdRun.run(RUN, "-n", "-f", conf.toString());
    }

    private String conf() {
        return dir.resolve("vm.conf").toString();
    }

    @Test
    void aValidFileIsConfigurationOk() throws Exception {
        Path kernel = Files.write(dir.resolve("kernel"), new byte[512]);
        VmdRun r = check("user root\nvm \"a\" {\n\tboot \"" + kernel + "\"\n\tmemory 64M\n}\n");
        assertEquals(List.of("configuration OK"), r.lines(), r.output());
        assertEquals(0, r.status());
    }

    @Test
    void limitsAreErrorsWithTheirFileAndLine() throws Exception {
        VmdRun r = check("user root\nvm \"a\" {\n\tmemory 129G\n}\nvm \"b\" {\n\tcpus 65\n}\nvm \"c\" { interfaces 5 }\n");
        assertEquals(List.of(conf() + ":3: memory size too large (limit is 128G)",
                conf() + ":6: invalid number of cpus: 65", conf() + ":8: too many interfaces: 5"), r.lines());
        assertEquals(1, r.status());
    }

    @Test
    void aGrammarErrorAtTheEndOfTheFileNamesItsLastLine() throws Exception {
        VmdRun r = check("user root\nvm \"a\" {\n\tmemory 1G\n");
        assertEquals(List.of(conf() + ":3: syntax error"), r.lines());
        assertEquals(1, r.status());
    }

    @Test
    void imagesThatCannotBeOpenedAreWarningsAndTheFileIsStillOk() throws Exception {
        Path disk = dir.resolve("absent.img");
        Path kernel = dir.resolve("absent-kernel");
        VmdRun r = check("user root\nvm \"a\" {\n\tdisk \"" + disk + "\"\n}\nvm \"b\" {\n\tboot \"" + kernel + "\"\n}\n");
        assertEquals(List.of(conf() + ":3: warning: vm \"a\": cannot open disk " + disk + ": No such file or directory",
                conf() + ":6: warning: vm \"b\": cannot open kernel " + kernel + ": No such file or directory",
                "configuration OK"), r.lines());
        assertEquals(0, r.status());
    }

    @Test
    void aUserThatDoesNotExistFailsTheCheck() throws Exception {
        VmdRun r = check("user vmd-test-no-such-user\n");
        assertEquals(List.of("vmd: user vmd-test-no-such-user does not exist (create it with: useradd --system"
                + " --no-create-home --home-dir /var/empty --shell /usr/sbin/nologin vmd-test-no-such-user)"), r.lines());
        assertEquals(1, r.status());
    }
}

package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (Jazzer) of the parser {@code vmd -n} and the daemon use, with
 * users, paths and included files from fixed tables, so nothing is read from the host:
 * every input gives a model within the limits or diagnostics with a file:line that
 * exists ({@link ParseContract}), and nothing else (no exception, no hang, bounded
 * memory). CI replays the seeds and past findings in
 * src/test/resources/vmd/parent/config/VmConfFuzzTestInputs/&lt;method&gt; (the findings
 * renamed finding-*, each with its fix's unit test in ConfigErrorsTest or IncludeTest);
 * bench/fuzz.sh runs each target for 10^6 inputs.
 */
class VmConfFuzzTest {
    /**
     * Long enough for 10^6 inputs (JAZZER_MAX_EXECUTIONS) on a shared two-core machine,
     * where a target runs a few hundred inputs a second; Jazzer's default stops at 5 minutes.
     */
    private static final String FUZZ_TIME = "3h";
    /** Included by name: a small valid file, one that includes itself, one that includes the input. */
    private static final byte[] INC = "inc_mem = 256M\nvm \"inc\" { memory $inc_mem }\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LOOP = "include \"loop.conf\"\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AGAIN = "include \"vm.conf\"\ninclude \"vm.conf\"\n".getBytes(StandardCharsets.UTF_8);

    /** Arbitrary bytes as a whole vm.conf. */
    @FuzzTest(maxDuration = FUZZ_TIME)
    @DictionaryEntries({"vm", "switch", "include", "instance", "allow", "owner", "disk", "boot", "device", "cdrom",
        "format", "qcow2", "raw", "interface", "interfaces", "local", "lladdr", "locked", "group", "rdomain",
        "memory", "enable", "disable", "up", "down", "socket", "staggered", "start", "parallel", "delay", "agentx",
        "context", "path", "prefix", "inet6", "sev", "seves", "net", "user", "firmware", "cpus", "cmdline",
        "initrd", "spare", "devices", "restarts", "per", "\"inc.conf\"", "\"loop.conf\"", "\"again.conf\"",
        "\"vm.conf\"", "$", "=", "{", "}", ",", "\\", "\"", "'", "#", "128G", "129G", "1M", "65", "256",
        "02:00:00:00:00:01", "100.64.0.0/10", "fd00::/64", "joe:staff", ":vmusers", "\"/missing.img\""})
    void text(byte[] data) {
        ParseResult r = parseAndCheck(data);
        // The end of the file belongs to its last line, with or without a final newline:
        // the same file with one says exactly the same, at the same lines.
        if (data.length > 0 && data[data.length - 1] != '\n') {
            byte[] withNewline = java.util.Arrays.copyOf(data, data.length + 1);
            withNewline[data.length] = '\n';
            assertEquals(r.messages(), parseAndCheck(withNewline).messages(), "with a final newline");
        }
    }

    /** Fuzzed lines spliced into the slots of a valid vm.conf ({@link SplicedConf}). */
    @FuzzTest(maxDuration = FUZZ_TIME)
    void spliced(byte[] data) {
        parseAndCheck(SplicedConf.splice(data));
    }

    private static ParseResult parseAndCheck(byte[] file) {
        Map<String, byte[]> files = Map.of("vm.conf", file, "inc.conf", INC, "loop.conf", LOOP, "again.conf", AGAIN);
        ConfigParser parser = new ConfigParser(TestSupport.ACCOUNTS, TestSupport.PATHS, IncludeFiles.of(files));
        ParseResult r = parser.parseBytes("vm.conf", file, Map.of());
        ParseContract.check(r, files);
        return r;
    }

    @Test
    void theSplicedTemplateIsValidAsItStands() {
        ConfigParser parser = new ConfigParser(TestSupport.ACCOUNTS, TestSupport.PATHS,
                IncludeFiles.of(Map.of("inc.conf", INC)));
        ParseResult r = parser.parseBytes("vm.conf", SplicedConf.splice(new byte[0]), Map.of());
        assertEquals(List.of(), r.errors().stream().map(Diagnostic::toString).toList());
        assertEquals(List.of("inc", "template", "web1", "linux"), r.config().vms().stream().map(VmConfig::name).toList());
    }
}

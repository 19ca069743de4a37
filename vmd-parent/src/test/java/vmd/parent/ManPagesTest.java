package vmd.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vmd.parent.config.Accounts;
import vmd.parent.config.BootDevice;
import vmd.parent.config.ConfigParser;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.InstanceFlag;
import vmd.parent.config.ParseResult;
import vmd.parent.config.PathResolver;
import vmd.parent.config.VmConfig;
import vmd.parent.config.VmdConfig;
import vmd.testing.Prerequisites;

/**
 * The manual pages in man/ and the example in etc/: each page is valid mdoc that
 * {@code mandoc -T lint} accepts without a warning, vm.conf(5) names every word of the
 * parser's grammar, and etc/vm.conf is a configuration the parser accepts.
 */
class ManPagesTest {
    private static final String MANDOC = "/usr/bin/mandoc";

    /** The repository root: $VMD_BUILD_ROOT (set by surefire), else the parent of vmd-parent. */
    static Path root() {
        String env = System.getenv("VMD_BUILD_ROOT");
        return (env != null && !env.isEmpty() ? Path.of(env) : Path.of("..")).toAbsolutePath().normalize();
    }

    record Run(int status, String output) {
    }

    static Run run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"man/vmd.8", "man/vm.conf.5", "man/vmctl.8"})
    void lintsWithoutWarnings(String page) throws Exception {
        Prerequisites.requireTool(MANDOC);
        Path file = root().resolve(page);
        assertTrue(Files.isRegularFile(file), file + " is missing");
        // -W warning: report warnings and worse, and exit non-zero if there are any.
        Run lint = run(List.of(MANDOC, "-T", "lint", "-W", "warning", file.toString()));
        assertEquals(0, lint.status(), page + ":\n" + lint.output());
        for (String line : lint.output().split("\n")) {
            assertTrue(!line.matches(".*\\b(WARNING|ERROR|UNSUPP|BADARG|SYSERR)\\b.*"), page + ": " + line);
        }
        // And it renders: the header carries the page's name.
        Run render = run(List.of(MANDOC, "-T", "ascii", file.toString()));
        assertEquals(0, render.status(), render.output());
        String name = file.getFileName().toString().replaceFirst("\\.[0-9]$", "").toUpperCase();
        assertTrue(render.output().startsWith(name + "("), render.output().lines().findFirst().orElse(""));
    }

    /** Every word given as an argument of an Ic or Cm macro in an mdoc source. */
    static Set<String> documentedKeywords(Path page) throws IOException {
        Pattern macro = Pattern.compile("%?[A-Z][a-z]{1,2}");
        Set<String> words = new TreeSet<>();
        for (String line : Files.readAllLines(page, StandardCharsets.UTF_8)) {
            if (!line.startsWith(".") || line.startsWith(".\\\"")) continue;
            boolean keyword = false;
            String[] tokens = line.substring(1).trim().split("\\s+");
            for (String t : tokens) {
                if (t.equals("Ic") || t.equals("Cm")) {
                    keyword = true;
                } else if (macro.matcher(t).matches()) {
                    keyword = false;
                } else if (keyword) {
                    words.add(t.replace("\\&", ""));
                }
            }
        }
        return words;
    }

    /** OpenBSD's reserved words: the parser's (package-private) keyword table. */
    @SuppressWarnings("unchecked")
    static List<String> parserKeywords() throws ReflectiveOperationException {
        Class<? extends Enum<?>> table = (Class<? extends Enum<?>>) Class.forName("vmd.parent.config.Keyword");
        Field word = table.getDeclaredField("word");
        word.setAccessible(true);
        List<String> words = new ArrayList<>();
        for (Enum<?> k : table.getEnumConstants()) words.add((String) word.get(k));
        return words;
    }

    @Test
    void vmConfDocumentsEveryWordOfTheGrammar() throws Exception {
        Set<String> documented = documentedKeywords(root().resolve("man/vm.conf.5"));
        Set<String> expected = new LinkedHashSet<>(parserKeywords());
        assertTrue(expected.size() > 30, "keyword table: " + expected);
        // The Linux additions (recognised by position, not reserved) and the enumerated values.
        expected.addAll(List.of("user", "firmware", "cpus", "cmdline", "initrd", "restarts", "per", "metrics", "listen", "port"));
        for (InstanceFlag f : InstanceFlag.values()) expected.add(f.keyword());
        for (BootDevice d : BootDevice.values()) expected.add(d.keyword());
        for (DiskFormat f : DiskFormat.values()) {
            if (f != DiskFormat.AUTO) expected.add(f.name().toLowerCase());
        }
        List<String> missing = expected.stream().filter(w -> !documented.contains(w)).toList();
        assertTrue(missing.isEmpty(), "vm.conf.5 does not document " + missing);
    }

    /** vmd(8)'s METRICS section names every metric of the catalog, with its type. */
    @Test
    void vmdDocumentsEveryMetric() throws Exception {
        String page = Files.readString(root().resolve("man/vmd.8"), StandardCharsets.UTF_8);
        List<String> missing = new ArrayList<>();
        for (vmd.metrics.Metric m : vmd.metrics.Metric.values()) {
            Matcher item = Pattern.compile("(?m)^\\.It Li " + m.metricName() + " Pq " + m.type().text() + "\\b").matcher(page);
            if (!item.find()) missing.add(m.metricName() + " (" + m.type().text() + ")");
        }
        assertTrue(missing.isEmpty(), "vmd.8 METRICS does not list " + missing);
    }

    private static final Pattern ABSOLUTE_PATH = Pattern.compile("\"(/[^\"]*)\"");

    /**
     * etc/vm.conf parses without an error or a warning. The parser resolves boot, disk,
     * initrd and firmware paths with realpath and reports a missing image as an error,
     * as OpenBSD does, and the example's images do not exist on a build machine. So the
     * file is checked twice: as written with a resolver that accepts every path (all of
     * the grammar and every other check), and through {@link ConfigParser#parse} on a
     * copy whose quoted absolute paths are moved under a temporary directory where each
     * of them exists (the path checks too).
     */
    @Test
    void exampleConfigurationParses(@TempDir Path tmp) throws Exception {
        Path example = root().resolve("etc/vm.conf");
        ParseResult asWritten = new ConfigParser(Accounts.system(), PathResolver.asWritten())
                .parseFile(example, Map.of());
        assertEquals(List.of(), asWritten.messages(), "etc/vm.conf as written");

        String text = Files.readString(example, StandardCharsets.UTF_8);
        Path fsroot = tmp.resolve("root");
        Matcher m = ABSOLUTE_PATH.matcher(text);
        StringBuilder moved = new StringBuilder();
        while (m.find()) {
            Path file = fsroot.resolve(m.group(1).substring(1));
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) Files.write(file, new byte[0]);
            m.appendReplacement(moved, Matcher.quoteReplacement("\"" + file.toRealPath() + "\""));
        }
        m.appendTail(moved);
        Path copy = tmp.resolve("vm.conf");
        Files.writeString(copy, moved.toString(), StandardCharsets.UTF_8);

        ParseResult result = ConfigParser.parse(copy, Map.of());
        assertEquals(List.of(), result.messages(), "etc/vm.conf with its images present");
        assertTrue(result.ok());

        VmdConfig c = result.config();
        assertEquals(List.of("testguest", "debian", "linux", "template", "web1"),
                c.vms().stream().map(VmConfig::name).toList());
        assertEquals(List.of("uplink"), c.switches().stream().map(s -> s.name()).toList());
        VmConfig web1 = c.vm("web1").orElseThrow();
        assertEquals("template", web1.instanceOf());
        assertTrue(web1.enabled());
        assertTrue(!c.vm("template").orElseThrow().enabled());
        assertEquals(2, c.vm("testguest").orElseThrow().cpus());
        assertTrue(c.vm("linux").orElseThrow().interfaces().get(0).local());
    }
}

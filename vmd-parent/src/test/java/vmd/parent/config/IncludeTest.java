package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncludeTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private ParseResult parseFile(Path p) {
        return TestSupport.PARSER.parseFile(p, Map.of());
    }

    @Test
    void includedFileIsParsedInPlace() throws IOException {
        Path sub = write("sub.conf", "mem = \"2G\"\nvm \"sub\" { memory 1G }\n");
        Path main = write("main.conf", "vm \"first\" { memory 1G }\ninclude \"" + sub + "\"\n"
                + "vm \"last\" { memory $mem }\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(), r.messages());
        assertEquals(List.of("first", "sub", "last"), r.config().vms().stream().map(VmConfig::name).toList());
        assertEquals(2L << 30, r.config().vm("last").orElseThrow().memory());
    }

    @Test
    void errorsNameTheirFileAndLine() throws IOException {
        Path sub = write("sub.conf", "# sub\n\nvm \"sub\" {\n memory 1X\n}\n");
        Path main = write("main.conf", "# main\ninclude \"" + sub + "\"\nvm \"m\" {\n memory 1\n}\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(sub + ":4: invalid memory size: 1X: Invalid argument",
                main + ":4: memory size must be at least 1MB"), r.messages());
    }

    @Test
    void lastLineWithoutNewline() throws IOException {
        Path sub = write("sub.conf", "vm \"sub\" { memory 1G }");
        Path main = write("main.conf", "include \"" + sub + "\"\nvm \"m\" { memory 1G }\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(), r.messages());
        assertEquals(2, r.config().vms().size());
    }

    @Test
    void aBlockLeftOpenIsAnErrorAtTheIncludedFilesLastLine() throws IOException {
        Path sub = write("sub.conf", "vm \"sub\" {\n memory 1G\n\n");
        Path main = write("main.conf", "include \"" + sub + "\"\nvm \"m\" { memory 1G }\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(sub + ":3: syntax error"), r.messages());
        assertEquals(List.of("m"), r.config().vms().stream().map(VmConfig::name).toList(), "main.conf goes on");
    }

    @Test
    void aStringLeftOpenEndsWithTheIncludedFile() throws IOException {
        Path sub = write("sub.conf", "vm \"sub\" { boot \"/x\n\n");
        Path main = write("main.conf", "include \"" + sub + "\"\nvm \"m\" { memory 1G }\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(sub + ":2: reached end of file while parsing quoted string (the string starts at line 1)",
                sub + ":2: syntax error"), r.messages());
        assertEquals(List.of("m"), r.config().vms().stream().map(VmConfig::name).toList());
    }

    @Test
    void pathBuiltFromAMacroAndStrings() throws IOException {
        write("sub.conf", "vm \"sub\" { memory 1G }\n");
        Path main = write("main.conf", "d = \"" + dir + "\"\ninclude $d \"/sub.conf\"\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(), r.messages());
        assertEquals("sub", r.config().vms().get(0).name());
    }

    @Test
    void relativePathsAreRelativeToTheCurrentDirectory() throws IOException {
        Path sub = write("rel.conf", "vm \"rel\" { memory 1G }\n");
        String relative = Path.of("").toAbsolutePath().relativize(sub).toString();
        ParseResult r = TestSupport.PARSER.parseText("main.conf", "include \"" + relative + "\"\n", Map.of());
        assertEquals(List.of(), r.messages());
        assertEquals("rel", r.config().vms().get(0).name());
    }

    @Test
    void missingInclude() throws IOException {
        Path main = write("main.conf", "\ninclude \"" + dir.resolve("nope.conf") + "\"\nvm \"m\" { memory 1G }\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(main + ":2: failed to include file " + dir.resolve("nope.conf") + ": No such file or directory"),
                r.messages());
        assertEquals(1, r.config().vms().size());
    }

    @Test
    void includeLoopIsStopped() throws IOException {
        Path loop = dir.resolve("loop.conf");
        Files.writeString(loop, "include \"" + loop + "\"\n");
        ParseResult r = parseFile(loop);
        assertEquals(List.of(loop + ":1: failed to include file " + loop + ": include loop: " + loop
                + " is already being read"), r.messages());
    }

    @Test
    void aLoopThroughAnotherNameOfTheFileIsStoppedToo() throws IOException {
        Path a = dir.resolve("a.conf");
        Path b = write("b.conf", "\ninclude \"" + dir + "/./a.conf\"\n");
        Files.writeString(a, "include \"" + b + "\"\n");
        ParseResult r = parseFile(a);
        assertEquals(List.of(b + ":2: failed to include file " + dir + "/./a.conf: include loop: " + dir
                + "/./a.conf is already being read"), r.messages());
    }

    @Test
    void twoIncludesOfAFileThatIncludesItselfTwiceDoNotMultiply() throws IOException {
        // without the loop check this would read the file 2^32 times
        Path twice = dir.resolve("twice.conf");
        Files.writeString(twice, ("include \"" + twice + "\"\n").repeat(2));
        ParseResult r = parseFile(twice);
        assertEquals(2, r.errors().size(), r.messages().toString());
    }

    @Test
    void whatFollowsTheFileNameOnTheIncludeLineIsASyntaxErrorThere() throws IOException {
        Path sub = write("sub.conf", "vm \"sub\" { memory 1G }\n");
        Path main = write("main.conf", "\ninclude \"" + sub + "\" vm\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(main + ":2: syntax error"), r.messages());
        assertEquals(List.of(), r.config().vms(), "the file is not read");
    }

    @Test
    void onlyRegularFilesAreIncluded() throws IOException {
        // a FIFO would block the parser, a device might never end
        Path main = write("main.conf", "include \"/dev/zero\"\n");
        ParseResult r = parseFile(main);
        assertEquals(List.of(main + ":1: failed to include file /dev/zero: not a regular file"), r.messages());
    }

    @Test
    void aFileWithoutEndIsRefused() {
        ParseResult r = parseFile(Path.of("/dev/zero"));
        assertEquals(List.of("failed to open /dev/zero: the configuration is larger than 16 MiB, includes and macro expansions included"),
                r.messages());
    }

    @Test
    void includesShareOneBudgetOfBytes() {
        byte[] big = new byte[(int) (Limits.MAX_CONFIG_BYTES / 2)];
        java.util.Arrays.fill(big, (byte) ' ');
        ConfigParser p = new ConfigParser(TestSupport.ACCOUNTS, TestSupport.PATHS,
                IncludeFiles.of(Map.of("a", big, "b", big)));
        ParseResult r = p.parseText("main.conf", "include \"a\"\ninclude \"b\"\n", Map.of());
        assertEquals(List.of("main.conf:2: failed to include file b: the configuration is larger than 16 MiB, "
                + "includes and macro expansions included"), r.messages());
    }

    @Test
    void missingTopFileIsAnEmptyConfigurationWithAWarning() {
        Path p = dir.resolve("absent.conf");
        ParseResult r = parseFile(p);
        assertTrue(r.ok());
        assertEquals(VmdConfig.empty(), r.config());
        assertEquals(List.of("failed to open " + p + ": No such file or directory"), r.messages());
    }

    @Test
    void unreadableTopFileIsAnError() {
        ParseResult r = parseFile(dir);
        assertEquals(1, r.errors().size());
        assertTrue(r.errors().get(0).toString().startsWith("failed to open " + dir + ": "));
    }
}

package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static vmd.parent.config.TestSupport.assertErrors;
import static vmd.parent.config.TestSupport.onlyVm;
import static vmd.parent.config.TestSupport.parse;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MacroTest {

    private static final long G = 1024L * 1024 * 1024;

    @Test
    void definedAndUsed() {
        VmConfig vm = onlyVm("""
                ramdisk="/bsd.rd"
                mem = "512M"
                vm "vm1.example.com" {
                	memory $mem
                	boot $ramdisk
                }
                """);
        assertEquals("/bsd.rd", vm.boot());
        assertEquals(512L * 1024 * 1024, vm.memory());
    }

    @Test
    void macrosCanHoldKeywordsAndSeveralTokens() {
        VmConfig vm = onlyVm("""
                off = "disable"
                nic = "interface { switch \\"s\\" }"
                vm "a" {
                	$off
                	$nic
                }
                switch "s" { interface br0 }
                """);
        assertFalse(vm.enabled());
        assertEquals("s", vm.interfaces().get(0).switchName());
    }

    @Test
    void reservedWordsCannotNameMacrosEvenUnusedOnes() {
        // "net" is reserved (boot device net), like every word of parse.y's table
        assertErrors("net = \"x\"\n", "vm.conf:1: syntax error");
        assertErrors("size = \"x\"\n", "vm.conf:1: syntax error");
    }

    @Test
    void aValueIsLexedAsWordsSoEqualsSplitsIt() {
        assertErrors("r = \"root=/dev/vda\"\nvm \"a\" { cmdline $r }\n", "vm.conf:2: syntax error");
    }

    @Test
    void undefinedMacro() {
        ParseResult r = parse("vm \"a\" {\n memory $nope\n}\nvm \"b\" { memory 1G }\n");
        assertEquals(List.of("vm.conf:2: macro 'nope' not defined", "vm.conf:2: syntax error"), r.messages());
        assertEquals(List.of("b"), r.config().vms().stream().map(VmConfig::name).toList());
    }

    @Test
    void commandLineDefinitionsOverrideTheFile() {
        ParseResult r = parse("mem = \"1G\"\nvm \"a\" { memory $mem }\n", Map.of("mem", "2G"));
        assertEquals(List.of(), r.messages());
        assertEquals(2 * G, r.config().vms().get(0).memory());
    }

    @Test
    void unusedMacrosAreWarnedAboutInDefinitionOrder() {
        Map<String, String> defines = new LinkedHashMap<>();
        defines.put("cli", "1");
        defines.put("used", "1G");
        ParseResult r = parse("b = \"x\"\na = \"y\"\nvm \"v\" { memory $used }\n", defines);
        assertEquals(List.of("warning: macro 'cli' not used", "warning: macro 'b' not used",
                "warning: macro 'a' not used"), r.messages());
        assertEquals(true, r.ok());
    }

    @Test
    void redefiningForgetsThatItWasUsed() {
        ParseResult r = parse("m = \"1G\"\nvm \"a\" { memory $m }\nm = \"2G\"\n");
        assertEquals(List.of("warning: macro 'm' not used"), r.messages());
        r = parse("m = \"1G\"\nm = \"2G\"\nvm \"a\" { memory $m }\n");
        assertEquals(List.of(), r.messages());
        assertEquals(2 * G, r.config().vms().get(0).memory());
    }

    @Test
    void notExpandedInQuotes() {
        ParseResult r = parse("d = \"/x\"\nvm \"a\" { cdrom \"$d/cd.iso\" }\n");
        assertEquals("$d/cd.iso", r.config().vms().get(0).cdrom());
        assertEquals(List.of("warning: macro 'd' not used"), r.messages());
    }

    @Test
    void macroNamesCannotBeReservedWordsOrNumbers() {
        assertErrors("vm = \"x\"\n", "vm.conf:1: syntax error");
        assertErrors("memory = \"x\"\n", "vm.conf:1: syntax error");
        assertErrors("4 = \"x\"\n", "vm.conf:1: syntax error");
        assertErrors("x = 4\n", "vm.conf:1: syntax error");
        assertErrors("\"a b\" = \"c\"\n", "vm.conf:1: macro name cannot contain whitespace");
    }

    @Test
    void parseDefineSplitsAtTheLastEquals() {
        assertEquals(Map.entry("a", "b"), ConfigParser.parseDefine("a=b"));
        assertEquals(Map.entry("a=b", "c"), ConfigParser.parseDefine("a=b=c"));
        assertEquals(Map.entry("x", ""), ConfigParser.parseDefine("x="));
        assertNull(ConfigParser.parseDefine("novalue"));
    }

    @Test
    void expansionsCountAgainstTheSizeBound() {
        // 8000 bytes a use: 2200 uses would be 17.6 MB of text from a 24 KB file
        String text = "m = \"" + "x".repeat(8000) + "\"\n" + "x = $m\n".repeat(2200);
        ParseResult r = parse(text);
        // then a syntax error, as after every error of the lexer: the statement stops there
        assertEquals(2, r.errors().size(), r.errors().toString());
        String e = r.errors().get(0).toString();
        assertEquals(true, e.matches("vm\\.conf:[0-9]+: the configuration is larger than 16 MiB, includes and macro "
                + "expansions included; the rest is not read"), e);
    }
}

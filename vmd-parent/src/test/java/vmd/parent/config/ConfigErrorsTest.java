package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vmd.parent.config.TestSupport.assertErrors;
import static vmd.parent.config.TestSupport.parse;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Every error message, at the line OpenBSD's parser reports it. */
class ConfigErrorsTest {

    private static String vm(String body) {
        return "vm \"a\" {\n" + body + "\n}\n";
    }

    // ---- from the lexer ----

    @Test
    void undefinedMacro() {
        assertErrors("vm \"a\" { memory $m }\n", "vm.conf:1: macro 'm' not defined", "vm.conf:1: syntax error");
    }

    @Test
    void stringTooLong() {
        assertErrors("vm \"" + "a".repeat(9000) + "\" { memory 1G }\n", "vm.conf:1: string too long",
                "vm.conf:1: syntax error");
    }

    @Test
    void invalidNumber() {
        assertErrors(vm("interfaces 99999999999999999999"),
                "vm.conf:2: \"99999999999999999999\" invalid number: too large", "vm.conf:2: syntax error");
    }

    @Test
    void endOfFileInQuotes() {
        assertErrors("vm \"a\" { boot \"/x\n\n",
                "vm.conf:2: reached end of file while parsing quoted string (the string starts at line 1)",
                "vm.conf:2: syntax error");
        assertErrors("vm \"a\" { boot \"/x", "vm.conf:1: reached end of file while parsing quoted string",
                "vm.conf:1: syntax error");
    }

    @Test
    void anErrorKeepsItsLineWhateverTheRestOfTheLineContinuesInto() {
        // found by VmConfFuzzTest#text: the skipped rest of the line, continued with a
        // backslash, used to move the error to the continued line when a newline followed
        assertErrors("vm \"a\" { cmdline \"a\n\0 \\\n}\n", "vm.conf:1: syntax error", "vm.conf:1: syntax error");
        assertErrors("vm \"a\" { cmdline \"a\n\0 \\\n}", "vm.conf:1: syntax error", "vm.conf:1: syntax error");
    }

    @Test
    void nulInQuotes() {
        assertErrors("vm \"a\0\" { memory 1G }\n", "vm.conf:1: syntax error", "vm.conf:1: syntax error");
    }

    // ---- syntax ----

    @Test
    void syntaxErrors() {
        assertErrors("vm \"a\" { }\n", "vm.conf:1: syntax error");
        assertErrors("vm \"a\" {\n}\n", "vm.conf:2: syntax error");
        assertErrors("vm \"a\" { memory 1G\n disk \"/x\" }\n", "vm.conf:2: syntax error");
        assertErrors("vm \"a\"\n{ memory 1G }\n", "vm.conf:1: syntax error");
        assertErrors("frobnicate\n", "vm.conf:1: syntax error");
        assertErrors("vm = \"x\"\n", "vm.conf:1: syntax error");
        assertErrors("n = 4\n", "vm.conf:1: syntax error");
        assertErrors("local\n", "vm.conf:1: syntax error");
        assertErrors("vm \"a\" { memory }\n", "vm.conf:1: syntax error");
        assertErrors(vm("interface switch \"a\", group \"g\""), "vm.conf:2: syntax error");
        assertErrors(vm("allow instance { boot memory }"), "vm.conf:2: syntax error");
        assertErrors(vm("allow instance { boot, }"), "vm.conf:2: syntax error");
        assertErrors(vm("boot device floppy"), "vm.conf:2: syntax error");
        assertErrors(vm("interface {}"), "vm.conf:2: syntax error");
        assertErrors("vm \"a\" { memory 1G }\r\n", "vm.conf:1: syntax error");
        assertErrors("switch \"s\" { interface br0 } extra\n", "vm.conf:1: syntax error");
    }

    @Test
    void anErrorAtTheEndOfTheFileNamesItsLastLine() {
        // OpenBSD names the line after the last one (or two after it); here the end of
        // file belongs to the last line, with or without a newline at its end.
        assertErrors("vm \"a\" {\n memory 1G\n", "vm.conf:2: syntax error");
        assertErrors("vm \"a\" {\n memory 1G", "vm.conf:2: syntax error");
        assertErrors("vm \"a\" {\n memory 1G\n\n# the end\n", "vm.conf:4: syntax error");
        // a missing argument
        assertErrors("vm \"a\" {\n memory", "vm.conf:2: syntax error");
        assertErrors("\nstaggered start parallel 2 delay\n", "vm.conf:2: syntax error");
        assertErrors("vm \"a\" { memory 1G }\nswitch\n", "vm.conf:2: syntax error");
        // a backslash continuing the last line
        assertErrors("vm \"a\" { memory \\\n", "vm.conf:1: syntax error");
    }

    // ---- global statements ----

    @Test
    void includeFailure() {
        assertErrors("include \"/nonexistent/x.conf\"\n",
                "vm.conf:1: failed to include file /nonexistent/x.conf: No such file or directory");
    }

    @Test
    void macroNameWithWhitespace() {
        assertErrors("\"a b\" = \"c\"\n", "vm.conf:1: macro name cannot contain whitespace");
    }

    @Test
    void localPrefix() {
        assertErrors("local prefix 10.0.0.0/24\n", "vm.conf:1: invalid local prefix: too large");
        assertErrors("local prefix 10.0.0.0/0\n", "vm.conf:1: invalid local prefix: too small");
        assertErrors("local prefix 10.0.0.0/x\n", "vm.conf:1: invalid local prefix: invalid");
        assertErrors("local prefix 10.1.0.0/8\n", "vm.conf:1: invalid local prefix: bad mask");
        assertErrors("local prefix 10.0.1.0\n", "vm.conf:1: invalid local prefix: bad mask");
        assertErrors("local prefix 10.0.0.256/16\n", "vm.conf:1: invalid local prefix: invalid format");
        assertErrors("local prefix fd00::/16\n", "vm.conf:1: invalid local prefix: invalid format");
    }

    @Test
    void localInet6Prefix() {
        assertErrors("local inet6 prefix fd00::/96\n", "vm.conf:1: invalid local inet6 prefix: too large");
        assertErrors("local inet6 prefix fd00::1/64\n", "vm.conf:1: invalid local inet6 prefix: bad mask");
        assertErrors("local inet6 prefix fd00::/-1\n", "vm.conf:1: invalid local inet6 prefix: too small");
        assertErrors("local inet6 prefix 10.0.0.0/8\n", "vm.conf:1: invalid local inet6 prefix: invalid format");
        assertErrors("local inet6 prefix fd00:::1/64\n", "vm.conf:1: invalid local inet6 prefix: invalid format");
    }

    @Test
    void owners() {
        assertErrors("socket owner nobody\n", "vm.conf:1: failed to get user: nobody");
        assertErrors("socket owner :nogroup\n", "vm.conf:1: failed to get group: nogroup");
        assertErrors(vm("owner joe:nogroup"), "vm.conf:2: failed to get group: nogroup");
        assertErrors(vm("owner -1"), "vm.conf:2: invalid user id: -1");
        assertErrors(vm("owner 1000:1000"), "vm.conf:2: failed to get user: 1000");
        assertErrors(vm("allow instance owner nobody"), "vm.conf:2: failed to get user: nobody");
    }

    @Test
    void agentx() {
        assertErrors("agentx context \"" + "c".repeat(33) + "\"\n", "vm.conf:1: agentx context too large");
        assertErrors("agentx path \"relative\"\n", "vm.conf:1: agentx path is not absolute");
        assertErrors("agentx path \"/" + "p".repeat(110) + "\"\n", "vm.conf:1: agentx path too large");
    }

    @Test
    void staggeredStart() {
        assertErrors("staggered start parallel 0 delay 1\n", "vm.conf:1: invalid staggered start parallelism: 0");
        assertErrors("staggered start parallel 1 delay -1\n", "vm.conf:1: invalid staggered start delay: -1");
    }

    // ---- switches ----

    @Test
    void switches() {
        assertErrors("switch \"s\" {\n group \"g\"\n}\n", "vm.conf:3: switch \"s\" is missing interface name");
        assertErrors("switch \"s\" {\n interface br0\n group \"vm1\"\n}\n", "vm.conf:3: invalid group name: vm1");
        assertErrors("switch \"s\" { group \"abcdefghijklmnop\" }\n",
                "vm.conf:1: invalid group name: abcdefghijklmnop");
        assertErrors("switch \"s\" { interface \"br/0\" }\n", "vm.conf:1: invalid switch interface: br/0");
        assertErrors("switch \"s\" { interface averyveryverylongbridge }\n",
                "vm.conf:1: switch interface too long: averyveryverylongbridge");
        assertErrors("switch \"s\" { rdomain 256 }\n", "vm.conf:1: invalid rdomain: 256");
    }

    // ---- vm blocks ----

    @Test
    void names() {
        String long64 = "n".repeat(64);
        assertErrors("vm \"" + long64 + "\" { memory 1G }\n", "vm.conf:1: vm name too long");
        assertErrors("vm \"" + long64 + "\" instance \"b\" { memory 1G }\n",
                "vm.conf:1: vm " + long64 + " name too long");
        assertErrors("vm \"a\" instance \"" + long64 + "\" { memory 1G }\n", "vm.conf:1: vm name too long");
        for (String bad : List.of("-a", ".a", "_a", "a b", "a/b", "", "é")) {
            assertErrors("vm \"" + bad + "\" { memory 1G }\n", "vm.conf:1: vm \"" + bad + "\" failed: invalid VM name");
        }
    }

    @Test
    void duplicatesAndInstances() {
        assertErrors("vm \"a\" { memory 1G }\n\nvm \"a\" {\n memory 2G\n}\n",
                "vm.conf:3: vm \"a\" failed: duplicate vm name");
        assertErrors("vm \"p\" instance \"c\" { memory 1G }\n", "vm.conf:1: vm \"c\" failed: parent vm \"p\" not found");
        assertErrors("vm \"c\" { memory 1G }\nvm \"p\" { memory 1G }\n" + "vm \"p\" instance \"c\" { memory 1G }\n",
                "vm.conf:3: vm \"c\" failed: duplicate vm name");
        assertErrors("vm \"p\" { disk \"/p.img\" }\nvm \"p\" instance \"c\" { disk \"/p.img\" }\n",
                "vm.conf:2: vm \"c\" failed: disk /p.img cannot be reused");
        assertErrors("vm \"p\" { interface lladdr 0:1:2:3:4:5 }\n"
                + "vm \"p\" instance \"c\" { interface lladdr 00:01:02:03:04:05 }\n",
                "vm.conf:2: vm \"c\" failed: lladdr 00:01:02:03:04:05 cannot be reused");
        assertErrors("vm \"p\" { interface tap7 }\nvm \"p\" instance \"c\" { interface tap7 }\n",
                "vm.conf:2: vm \"c\" failed: interface tap7 cannot be reused");
    }

    @Test
    void disks() {
        assertErrors(vm("disk \"/a\" format vmdk"), "vm.conf:2: unrecognized disk format vmdk");
        assertErrors(vm("disk \"/1\"\ndisk \"/2\"\ndisk \"/3\"\ndisk \"/4\"\ndisk \"/5\""),
                "vm.conf:6: too many disks");
        assertErrors(vm("disk \"/" + "d".repeat(4100) + "\""), "vm.conf:2: disk path too long");
    }

    @Test
    void interfaces() {
        assertErrors(vm("interface\ninterface\ninterface\ninterface\ninterface { up }"),
                "vm.conf:6: too many interfaces: 5");
        assertErrors(vm("interfaces 5"), "vm.conf:2: too many interfaces: 5");
        assertErrors(vm("interfaces -1"), "vm.conf:2: too many interfaces: -1");
        assertErrors(vm("interfaces 1\ninterfaces 2"), "vm.conf:3: interfaces specified more than once");
        assertErrors(vm("interface \"tap/0\""), "vm.conf:2: invalid interface: tap/0");
        assertErrors(vm("interface tap0123456789abcdef"), "vm.conf:2: interface name too long: tap0123456789abcdef");
        String long64 = "s".repeat(64);
        assertErrors(vm("interface { switch \"" + long64 + "\" }"), "vm.conf:2: switch name too long: " + long64);
        assertErrors(vm("interface { group \"a1\" }"), "vm.conf:2: invalid group name: a1");
        assertErrors(vm("interface { lladdr 00:11:22:33:44 }"), "vm.conf:2: invalid address: 00:11:22:33:44");
        assertErrors(vm("interface lladdr 00:11:22:33:44:100"), "vm.conf:2: invalid address: 00:11:22:33:44:100");
        // not hexadecimal digits, though Integer.parseInt takes them (and "-1" was an exception)
        assertErrors(vm("interface lladdr \"-1:00:00:00:00:00\""), "vm.conf:2: invalid address: -1:00:00:00:00:00");
        assertErrors(vm("interface lladdr \"+f:00:00:00:00:00\""), "vm.conf:2: invalid address: +f:00:00:00:00:00");
        assertErrors(vm("interface lladdr \"\u0663:00:00:00:00:00\""), "vm.conf:2: invalid address: \u0663:00:00:00:00:00");
        assertErrors(vm("interface { rdomain -1 }"), "vm.conf:2: invalid rdomain: -1");
    }

    @Test
    void boot() {
        assertErrors(vm("boot \"/a\"\nboot \"/b\""), "vm.conf:3: kernel specified more than once");
        assertErrors(vm("boot \"/" + "k".repeat(4100) + "\""), "vm.conf:2: kernel name too long");
    }

    @Test
    void cdrom() {
        assertErrors(vm("cdrom \"/a.iso\"\ncdrom \"/b.iso\""), "vm.conf:3: cdrom specified more than once");
        assertErrors(vm("cdrom \"/" + "c".repeat(4100) + "\""), "vm.conf:2: cdrom name too long");
    }

    @Test
    void memory() {
        assertErrors(vm("memory 1G\nmemory 2G"), "vm.conf:3: memory specified more than once");
        assertErrors(vm("memory 1073741824\nmemory 1073741824"), "vm.conf:3: memory specified more than once");
        assertErrors(vm("memory 1X"), "vm.conf:2: invalid memory size: 1X: Invalid argument");
        assertErrors(vm("memory 1GB"), "vm.conf:2: invalid memory size: 1GB: Invalid argument");
        assertErrors(vm("memory 99999999999999999999K"),
                "vm.conf:2: invalid memory size: 99999999999999999999K: Result too large");
        assertErrors(vm("memory 512K"), "vm.conf:2: memory size must be at least 1MB");
        assertErrors(vm("memory 1048575"), "vm.conf:2: memory size must be at least 1MB");
        assertErrors(vm("memory -1"), "vm.conf:2: memory size must be at least 1MB");
        assertErrors(vm("memory 129G"), "vm.conf:2: memory size too large (limit is 128G)");
    }

    @Test
    void linuxExtensions() {
        assertErrors(vm("cpus 2\ncpus 2"), "vm.conf:3: cpus specified more than once");
        assertErrors(vm("cpus 0"), "vm.conf:2: invalid number of cpus: 0");
        assertErrors(vm("cpus 65"), "vm.conf:2: invalid number of cpus: 65");
        assertErrors(vm("cpus two"), "vm.conf:2: syntax error");
        assertErrors(vm("cmdline \"a\"\ncmdline \"b\""), "vm.conf:3: cmdline specified more than once");
        assertErrors(vm("cmdline \"" + "x".repeat(2048) + "\""), "vm.conf:2: cmdline too long");
        assertErrors(vm("initrd \"/i\"\ninitrd \"/j\""), "vm.conf:3: initrd specified more than once");
        assertErrors(vm("firmware \"/f\"\nfirmware \"/g\""), "vm.conf:3: firmware specified more than once");
        // whether the user exists is checked by vmd itself, which says how to create it
        assertErrors("user nobody\n");
        assertErrors("user \"-r\"\n", "vm.conf:1: invalid user name: -r");
        assertErrors("user \"a b\"\n", "vm.conf:1: invalid user name: a b");
        assertErrors("user \"\"\n", "vm.conf:1: invalid user name: ");
        assertErrors("user joe\nuser vmd\n", "vm.conf:2: user specified more than once");
        assertErrors("firmware \"/f\"\nfirmware \"/g\"\n", "vm.conf:2: firmware specified more than once");
        assertErrors("user\n", "vm.conf:1: syntax error");
    }

    // ---- images: warnings, not errors ----

    @Test
    void anImageThatCannotBeOpenedIsAWarningNamingTheVmAndThePath() {
        ParseResult r = parse("""
                firmware "/missing/bios.bin"
                vm "a" {
                	disk "/missing.img"
                	disk "/denied.img" format raw
                	boot "/missing/bsd"
                	initrd "/missing/initrd"
                	firmware "/missing/vm-bios.bin"
                	cdrom "/missing.iso"
                }
                vm "b" { disk "/b.img" }
                """);
        assertEquals(List.of(), r.errors());
        assertEquals(List.of("vm.conf:1: warning: cannot open firmware /missing/bios.bin: No such file or directory",
                "vm.conf:3: warning: vm \"a\": cannot open disk /missing.img: No such file or directory",
                "vm.conf:4: warning: vm \"a\": cannot open disk /denied.img: Permission denied",
                "vm.conf:5: warning: vm \"a\": cannot open kernel /missing/bsd: No such file or directory",
                "vm.conf:6: warning: vm \"a\": cannot open initrd /missing/initrd: No such file or directory",
                "vm.conf:7: warning: vm \"a\": cannot open firmware /missing/vm-bios.bin: No such file or directory",
                "vm.conf:8: warning: vm \"a\": cannot open cdrom /missing.iso: No such file or directory"),
                r.warnings().stream().map(Diagnostic::toString).toList());
        // both VMs are there, the paths as written
        VmConfig a = r.config().vm("a").orElseThrow();
        assertEquals("/missing.img", a.disks().get(0).path());
        assertEquals("/missing/bsd", a.boot());
        assertTrue(r.config().vm("b").isPresent());
    }

    @Test
    void onTheHostAMissingImageIsAWarningAndAPresentOneIsResolved(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path disk = java.nio.file.Files.write(dir.resolve("disk.img"), new byte[512]);
        java.nio.file.Files.createSymbolicLink(dir.resolve("link.img"), disk);
        ConfigParser host = new ConfigParser(TestSupport.ACCOUNTS, PathResolver.system());
        ParseResult r = host.parseText("vm.conf", "vm \"a\" {\n disk \"" + dir + "/link.img\"\n disk \"" + dir
                + "/none.img\"\n boot \"" + dir + "\"\n}\n", java.util.Map.of());
        assertEquals(List.of("vm.conf:3: warning: vm \"a\": cannot open disk " + dir + "/none.img: No such file or directory",
                "vm.conf:4: warning: vm \"a\": cannot open kernel " + dir + ": Is a directory"), r.messages());
        assertEquals(disk.toRealPath().toString(), r.config().vms().get(0).disks().get(0).path());
    }

    // ---- recovery ----

    @Test
    void anErrorDropsTheRestOfItsBlockQuietly() {
        ParseResult r = parse("""
                vm "a" {
                	memory 1X
                	disk "/x.img"
                	memory 2G
                }
                vm "b" { memory 1G }
                """);
        assertEquals(List.of("vm.conf:2: invalid memory size: 1X: Invalid argument"), r.messages());
        assertEquals(List.of("b"), r.config().vms().stream().map(VmConfig::name).toList());
    }

    @Test
    void syntaxErrorsAreQuietUntilThreeTokensParse() {
        // line 2 fails; lines 3 and 4 fail too, but are not reported (yacc's yyerrflag)
        assertErrors("\nbad\nworse\nworst\n", "vm.conf:2: syntax error");
        // two good tokens are not enough...
        assertErrors("bad\nlocal bad\n", "vm.conf:1: syntax error");
        // ...three are
        assertErrors("bad\n\nlocal bad\n", "vm.conf:1: syntax error", "vm.conf:3: syntax error");
        // semantic errors are always reported
        assertErrors("bad\nvm \"a\" { memory 1 }\n", "vm.conf:1: syntax error",
                "vm.conf:2: memory size must be at least 1MB");
    }

    @Test
    void parsingContinuesAfterErrors() {
        ParseResult r = parse("""
                vm "a" { memory 1 }
                vm "b" { memory 1G }
                switch "s" { interface "br/0" }
                switch "t" { interface br1 }
                """);
        assertEquals(List.of("vm.conf:1: memory size must be at least 1MB", "vm.conf:3: invalid switch interface: br/0"),
                r.messages());
        assertEquals(1, r.config().vms().size());
        assertEquals(1, r.config().switches().size());
        assertTrue(!r.ok());
    }

    @Test
    void metricsOnlyOnTheLocalHost() {
        // the whole surface is in MetricsConfigTest; here, that the errors keep their lines among others
        assertErrors("vm \"a\" { memory 1G }\nmetrics listen 10.0.0.1 port 9100\nmetrics socket \"x.sock\"\n",
                "vm.conf:2: metrics listen 10.0.0.1: not a loopback address (metrics are served to the local host only:"
                        + " use 127.0.0.1, or a metrics socket)",
                "vm.conf:3: metrics socket path is not absolute: x.sock");
    }
}

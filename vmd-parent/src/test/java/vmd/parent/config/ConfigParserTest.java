package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vmd.parent.config.TestSupport.ok;
import static vmd.parent.config.TestSupport.onlyVm;
import static vmd.parent.config.TestSupport.parse;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Every OpenBSD keyword and what it puts in the model. */
class ConfigParserTest {

    private static final long M = 1024 * 1024;
    private static final long G = 1024 * M;

    @Test
    void emptyFileGivesTheDefaults() {
        VmdConfig c = ok("");
        assertEquals(VmdConfig.empty(), c);
        assertEquals("100.64.0.0/10", c.localPrefix().toString());
        assertFalse(c.localInet6());
        assertNull(c.localPrefix6());
        assertEquals(0, c.socketOwner().uid());
        assertEquals(0, c.socketOwner().gid());
        assertNull(c.staggeredStart());
        assertEquals("_vmd", c.user());
        assertEquals(List.of(), c.switches());
        assertEquals(List.of(), c.vms());
    }

    @Test
    void blankLinesAndComments() {
        assertEquals(VmdConfig.empty(), ok("\n\n# comment\n   \t\n# another { } \"\n"));
    }

    @Test
    void localPrefix() {
        assertEquals("10.0.0.0/16", ok("local prefix 10.0.0.0/16\n").localPrefix().toString());
        assertEquals("10.20.0.0/16", ok("local prefix 10.20.0.0\n").localPrefix().toString());
        assertEquals("172.16.0.0/12", ok("local prefix 172.16/12\n").localPrefix().toString());
        assertEquals("100.64.0.0/10", ok("local prefix \"100.64.0.0/10\"\n").localPrefix().toString());
        assertEquals("128.0.0.0/1", ok("local prefix 128.0.0.0/1\n").localPrefix().toString());
    }

    @Test
    void localInet6() {
        VmdConfig c = ok("local inet6\n");
        assertTrue(c.localInet6());
        assertNull(c.localPrefix6());
        c = ok("local inet6 prefix fd00:1::/48\n");
        assertTrue(c.localInet6());
        assertEquals("fd00:1::/48", c.localPrefix6().toString());
        assertEquals("fd00:1:2:3::/64", ok("local inet6 prefix fd00:1:2:3::\n").localPrefix6().toString());
        assertEquals("::/0", ok("local inet6 prefix ::/0\n").localPrefix6().toString());
    }

    @Test
    void socketOwner() {
        assertEquals(new Owner(1000, "joe", 0, "root"), ok("socket owner joe\n").socketOwner());
        assertEquals(new Owner(0, "root", 20, "staff"), ok("socket owner :staff\n").socketOwner());
        assertEquals(new Owner(1000, "joe", 20, "staff"), ok("socket owner joe:staff\n").socketOwner());
        assertEquals(new Owner(4321, "4321", 0, "root"), ok("socket owner 4321\n").socketOwner());
    }

    @Test
    void staggeredStart() {
        assertEquals(new VmdConfig.StaggeredStart(4, 10),
                ok("staggered start parallel 4 delay 10\n").staggeredStart());
    }

    @Test
    void agentxIsAcceptedWithAWarning() {
        ParseResult r = parse("agentx\n");
        assertTrue(r.ok());
        assertEquals(new VmdConfig.Agentx(null, "/var/agentx/master"), r.config().agentx());
        assertEquals(List.of("vm.conf:1: warning: agentx is not supported on Linux, ignored"), r.messages());
        r = parse("agentx context \"vmd\" path \"/run/agentx\"\n");
        assertEquals(new VmdConfig.Agentx("vmd", "/run/agentx"), r.config().agentx());
    }

    @Test
    void switchWithEveryOption() {
        VmdConfig c = ok("""
                switch "uplink" {
                	interface br0
                	group "vms"
                	locked lladdr
                	rdomain 3
                	down
                }
                switch "off" { interface br1
                	disable
                }
                switch "on" {
                	disable
                	enable
                	up
                	interface virbr0
                }
                """);
        assertEquals(List.of(new SwitchConfig("uplink", true, "br0", "vms", true, 3, false),
                new SwitchConfig("off", false, "br1", null, false, -1, true),
                new SwitchConfig("on", true, "virbr0", null, false, -1, true)), c.switches());
        assertTrue(c.findSwitch("uplink").isPresent());
        assertTrue(c.findSwitch("off").isEmpty());
    }

    @Test
    void vmWithEveryOption() {
        VmConfig vm = onlyVm("""
                vm "web" {
                	disable
                	boot "/link/vmlinuz"
                	boot device cdrom
                	disk "/vm/web.img"
                	disk "/vm/data.qcow2" format qcow2
                	disk "/vm/raw.img" format RAW
                	cdrom "/iso/install.iso"
                	local interface
                	interface tap5 {
                		switch "uplink"
                		lladdr 00:11:22:aa:bb:cc
                		group "web"
                		rdomain 2
                		down
                	}
                	interface locked lladdr fe:e1:ba:d0:0:1 switch "uplink", up
                	interfaces 4
                	memory 2G
                	owner joe:staff
                	allow instance { boot, memory
                		interface, disk, cdrom, instance, owner :vmusers }
                }
                switch "uplink" { interface br0 }
                """);
        assertEquals("web", vm.name());
        assertFalse(vm.enabled());
        assertNull(vm.instanceOf());
        assertEquals("/real/vmlinuz", vm.boot());
        assertEquals(BootDevice.CDROM, vm.bootDevice());
        assertEquals(List.of(new DiskConfig("/vm/web.img", DiskFormat.AUTO),
                new DiskConfig("/vm/data.qcow2", DiskFormat.QCOW2),
                new DiskConfig("/vm/raw.img", DiskFormat.RAW)), vm.disks());
        assertEquals("/iso/install.iso", vm.cdrom());
        assertEquals(List.of(
                new InterfaceConfig(true, null, null, null, false, null, -1, true),
                new InterfaceConfig(false, "tap5", "uplink", MacAddress.parse("00:11:22:aa:bb:cc"), false, "web", 2,
                        false),
                new InterfaceConfig(false, null, "uplink", MacAddress.parse("fe:e1:ba:d0:00:01"), true, null, -1,
                        true),
                InterfaceConfig.DEFAULT), vm.interfaces());
        assertEquals(2 * G, vm.memory());
        assertEquals(new Owner(1000, "joe", 20, "staff"), vm.owner());
        assertEquals(new AllowInstance(Set.of(InstanceFlag.BOOT, InstanceFlag.MEMORY, InstanceFlag.INTERFACE,
                InstanceFlag.DISK, InstanceFlag.CDROM, InstanceFlag.INSTANCE), new Owner(-1, null, 500, "vmusers")),
                vm.allowInstance());
        assertFalse(vm.sev());
    }

    @Test
    void minimalVmUsesDefaults() {
        VmConfig vm = onlyVm("vm \"a\" { disk \"/a.img\" }\n");
        assertTrue(vm.enabled());
        assertNull(vm.boot());
        assertNull(vm.bootDevice());
        assertEquals(0, vm.memory());
        assertEquals(512 * M, vm.effectiveMemory());
        assertEquals(0, vm.cpus());
        assertEquals(1, vm.effectiveCpus());
        assertEquals(Owner.NONE, vm.owner());
        assertEquals(AllowInstance.NONE, vm.allowInstance());
        assertEquals(List.of(), vm.interfaces());
    }

    @Test
    void optionsOnTheBraceLine() {
        // the first option may share the line with '{' and '}', and another may follow it
        assertEquals(G, onlyVm("vm \"a\" { memory 1G }\n").memory());
        VmConfig vm = onlyVm("vm \"a\" { memory 1G disk \"/x\"\n}\n");
        assertEquals(G, vm.memory());
        assertEquals(1, vm.disks().size());
        vm = onlyVm("vm \"a\" {\n\n  # c\n memory 1G # c\n\n disk \"/x\"\n\n}\n");
        assertEquals(1, vm.disks().size());
    }

    @Test
    void bootDevices() {
        assertEquals(BootDevice.DISK, onlyVm("vm \"a\" { boot device disk }\n").bootDevice());
        assertEquals(BootDevice.NET, onlyVm("vm \"a\" { boot device net }\n").bootDevice());
    }

    @Test
    void memorySizes() {
        assertEquals(G, onlyVm("vm \"a\" { memory 1073741824 }\n").memory());
        assertEquals(1536 * M, onlyVm("vm \"a\" { memory 1.5G }\n").memory());
        assertEquals(512 * M, onlyVm("vm \"a\" { memory \"512m\" }\n").memory());
        assertEquals(M, onlyVm("vm \"a\" { memory 1025K }\n").memory());
        assertEquals(M, onlyVm("vm \"a\" { memory 1048576 }\n").memory());
        assertEquals(2 * M, onlyVm("vm \"a\" { memory 3145727 }\n").memory());
        assertEquals(128 * G, onlyVm("vm \"a\" { memory 128G }\n").memory());
        assertEquals(1024 * G / 8, onlyVm("vm \"a\" { memory 0.125T }\n").memory());
    }

    @Test
    void owners() {
        assertEquals(new Owner(1000, "joe", -1, null), onlyVm("vm \"a\" { owner joe }\n").owner());
        assertEquals(new Owner(-1, null, 20, "staff"), onlyVm("vm \"a\" { owner :staff }\n").owner());
        assertEquals(new Owner(1234, "1234", -1, null), onlyVm("vm \"a\" { owner 1234 }\n").owner());
        assertEquals(new Owner(1000, "joe", -1, null), onlyVm("vm \"a\" { owner joe: }\n").owner());
        assertEquals("joe:staff", onlyVm("vm \"a\" { owner joe:staff }\n").owner().toString());
    }

    @Test
    void allowInstanceForms() {
        assertEquals(new AllowInstance(Set.of(), new Owner(1000, "joe", -1, null)),
                onlyVm("vm \"a\" { allow instance owner joe }\n").allowInstance());
        assertEquals(new AllowInstance(Set.of(InstanceFlag.MEMORY, InstanceFlag.DISK), Owner.NONE),
                onlyVm("vm \"a\" {\n allow instance memory\n allow instance disk\n}\n").allowInstance());
        assertEquals(Set.of(InstanceFlag.BOOT, InstanceFlag.CDROM),
                onlyVm("vm \"a\" { allow instance {\n\n boot\n\n cdrom\n\n}\n}\n").allowInstance().flags());
        assertEquals(Set.of(InstanceFlag.BOOT, InstanceFlag.CDROM),
                onlyVm("vm \"a\" { allow instance { boot,\n\n cdrom }\n}\n").allowInstance().flags());
    }

    @Test
    void interfaceForms() {
        assertEquals(List.of(InterfaceConfig.DEFAULT, InterfaceConfig.DEFAULT),
                onlyVm("vm \"a\" { interfaces 2 }\n").interfaces());
        assertEquals(List.of(InterfaceConfig.DEFAULT), onlyVm("vm \"a\" { interface tap }\n").interfaces());
        assertEquals(List.of(new InterfaceConfig(false, "vm-a0", null, null, true, null, -1, true)),
                onlyVm("vm \"a\" { interface \"vm-a0\" { locked lladdr } }\n").interfaces());
        // a zero address means "random", as in OpenBSD
        assertEquals(List.of(InterfaceConfig.DEFAULT),
                onlyVm("vm \"a\" { interface lladdr 00:00:00:00:00:00 }\n").interfaces());
        // several options on one line inside braces
        assertEquals(List.of(new InterfaceConfig(false, null, "s", null, false, "g", 1, false)),
                onlyVm("vm \"a\" { interface { switch \"s\" group g rdomain 1 down }\n}\nswitch s { interface b0 }\n")
                        .interfaces());
        // interfaces N is a minimum
        assertEquals(3, onlyVm("vm \"a\" {\n interface\n interface\n interface\n interfaces 2\n}\n")
                .interfaces().size());
        // local interfaces
        assertTrue(onlyVm("vm \"a\" { local interface { up } }\n").interfaces().get(0).local());
    }

    @Test
    void stringsConcatenate() {
        VmdConfig c = ok("d = \"/vm/\"\nvm \"web\" \"01\" { disk $d \"web01.img\" }\n");
        assertEquals("web01", c.vms().get(0).name());
        assertEquals("/vm/web01.img", c.vms().get(0).disks().get(0).path());
    }

    @Test
    void enableDisableLastWins() {
        assertTrue(onlyVm("vm \"a\" {\n disable\n enable\n}\n").enabled());
        assertFalse(onlyVm("vm \"a\" {\n enable\n disable\n}\n").enabled());
    }

    @Test
    void sevIsAcceptedWithAWarning() {
        ParseResult r = parse("vm \"a\" {\n sev\n}\nvm \"b\" {\n seves\n}\n");
        assertTrue(r.ok());
        assertTrue(r.config().vms().get(0).sev());
        assertFalse(r.config().vms().get(0).seves());
        assertTrue(r.config().vms().get(1).sev());
        assertTrue(r.config().vms().get(1).seves());
        assertEquals(List.of("vm.conf:2: warning: sev is not supported on Linux, ignored",
                "vm.conf:5: warning: seves is not supported on Linux, ignored"), r.messages());
    }

    @Test
    void instanceInheritsFromAnEarlierVm() {
        VmdConfig c = ok("""
                vm "tmpl" {
                	memory 1G
                	boot "/bsd"
                	disk "/tmpl.img"
                	cdrom "/cd.iso"
                	interface tap1 { switch "s"
                		lladdr 00:11:22:33:44:55 }
                	owner joe
                	allow instance { memory, instance }
                }
                vm "tmpl" instance "i1" {
                	disk "/i1.img"
                	memory 2G
                }
                switch "s" { interface br0 }
                """);
        VmConfig i1 = c.vm("i1").orElseThrow();
        assertEquals("tmpl", i1.instanceOf());
        assertEquals(2 * G, i1.memory());
        assertEquals("/bsd", i1.boot());
        assertEquals("/cd.iso", i1.cdrom());
        assertEquals(List.of(new DiskConfig("/i1.img", DiskFormat.AUTO)), i1.disks());
        assertEquals(List.of(new InterfaceConfig(false, null, "s", null, false, null, -1, true)), i1.interfaces());
        assertEquals(1000, i1.owner().uid());
        assertEquals(Set.of(InstanceFlag.MEMORY, InstanceFlag.INSTANCE), i1.allowInstance().flags());
        assertTrue(i1.enabled());
    }

    @Test
    void vmNames() {
        ok("vm \"a\" { memory 1G }\nvm \"0day.example-1_x\" { memory 1G }\nvm A.b { memory 1G }\n");
        ok("vm \"" + "x".repeat(63) + "\" { memory 1G }\n");
    }

    @Test
    void includeAndMacroKeywordsAreNotVmNames() {
        // reserved words must be quoted to be used as values
        assertEquals("vm", onlyVm("vm \"vm\" { memory 1G }\n").name());
    }

    @Test
    void definesAreMacros() {
        ParseResult r = parse("vm \"a\" { memory $mem }\n", Map.of("mem", "3G"));
        assertEquals(List.of(), r.messages());
        assertEquals(3 * G, r.config().vms().get(0).memory());
    }

    @Test
    void resultPrintsLikeVmd() {
        ParseResult r = parse("vm \"a\" { memory 1 }\nunused = \"x\"\n");
        assertFalse(r.ok());
        assertEquals(List.of("vm.conf:1: memory size must be at least 1MB", "warning: macro 'unused' not used"),
                r.messages());
        assertEquals(new Diagnostic("vm.conf", 1, "memory size must be at least 1MB"), r.errors().get(0));
        assertTrue(r.errors().get(0).located());
        assertFalse(r.warnings().get(0).located());
    }
}

package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vmd.parent.config.TestSupport.errors;
import static org.junit.jupiter.api.Assertions.assertNull;
import static vmd.parent.config.TestSupport.ok;
import static vmd.parent.config.TestSupport.onlyVm;
import static vmd.parent.config.TestSupport.parse;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** cpus, cmdline, initrd, firmware, user: added without changing any OpenBSD file. */
class LinuxExtensionsTest {

    @Test
    void perVmOptions() {
        VmConfig vm = onlyVm("""
                vm "linux" {
                	cpus 4
                	boot "/link/vmlinuz"
                	initrd "/link/initrd.img"
                	cmdline "console=ttyS0 root=/dev/vda rw"
                	firmware "/usr/share/seabios/bios-256k.bin"
                	allow instance { cpus, memory }
                }
                """);
        assertEquals(4, vm.cpus());
        assertEquals(4, vm.effectiveCpus());
        assertEquals("/real/vmlinuz", vm.boot());
        assertEquals("/real/initrd.img", vm.initrd());
        assertEquals("console=ttyS0 root=/dev/vda rw", vm.cmdline());
        assertEquals("/usr/share/seabios/bios-256k.bin", vm.firmware());
        assertEquals(Set.of(InstanceFlag.CPUS, InstanceFlag.MEMORY), vm.allowInstance().flags());
    }

    @Test
    void globalOptions() {
        VmdConfig c = ok("user vmd\nfirmware \"/opt/bios.bin\"\n");
        assertEquals("vmd", c.user());
        assertEquals("/opt/bios.bin", c.firmware());
        assertNull(ok("").firmware());
    }

    @Test
    void spareDevicesIsOffUnlessSaid() {
        assertTrue(ok("spare devices\n").spareDevices());
        assertFalse(ok("").spareDevices());
        assertFalse(errors("spare\n").isEmpty(), "spare alone is a syntax error");
        assertFalse(errors("spare disks\n").isEmpty(), "only devices may be spare");
        assertTrue(errors("spare = \"x\"\n").isEmpty(), "spare stays usable as a macro name");
    }

    @Test
    void cmdlineConcatenatesStringsAndMacros() {
        VmConfig vm = onlyVm("dev = \"/dev/vda\"\nvm \"a\" { cmdline \"console=ttyS0 root=\" $dev }\n");
        assertEquals("console=ttyS0 root=/dev/vda", vm.cmdline());
    }

    @Test
    void theWordsRemainUsableAsOpenBsdAllowsThem() {
        // macro names
        ParseResult r = parse("""
                user = "joe"
                firmware = "/fw"
                cpus = "2G"
                cmdline = "x"
                initrd = "y"
                vm "cpus" {
                	memory $cpus
                	owner $user
                	cdrom $firmware
                	disk $initrd
                	disk $cmdline
                }
                switch "user" { interface firmware }
                """);
        assertEquals(List.of(), r.messages());
        VmdConfig c = r.config();
        assertEquals("_vmd", c.user());
        assertNull(c.firmware());
        VmConfig vm = c.vms().get(0);
        assertEquals("cpus", vm.name());
        assertEquals(2L << 30, vm.memory());
        assertEquals(1000, vm.owner().uid());
        assertEquals("/fw", vm.cdrom());
        assertEquals(0, vm.cpus());
        assertEquals("firmware", c.switches().get(0).ifname());
    }

    @Test
    void tapMeansAnyFreeTap() {
        assertNull(onlyVm("vm \"a\" { interface tap }\n").interfaces().get(0).name());
        assertEquals("vm-a-0", onlyVm("vm \"a\" { interface vm-a-0 }\n").interfaces().get(0).name());
    }
}

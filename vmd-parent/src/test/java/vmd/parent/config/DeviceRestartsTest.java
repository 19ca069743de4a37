package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static vmd.parent.config.TestSupport.assertErrors;
import static vmd.parent.config.TestSupport.ok;

import org.junit.jupiter.api.Test;

/** {@code device restarts N per S}: globally and per VM, its bounds and its errors. */
class DeviceRestartsTest {

    @Test
    void theDefaultIsThreePerMinute() {
        VmdConfig c = ok("vm \"a\" { memory 1G }\n");
        assertEquals(new DeviceRestarts(3, 60), c.deviceRestarts());
        assertNull(c.vms().get(0).deviceRestarts(), "a VM without its own uses the global one");
    }

    @Test
    void globalAndPerVm() {
        VmdConfig c = ok("""
                device restarts 1000 per 1
                vm "a" { memory 1G }
                vm "b" {
                	memory 1G
                	device restarts 0 per 60
                }
                """);
        assertEquals(new DeviceRestarts(1000, 1), c.deviceRestarts());
        assertNull(c.vm("a").orElseThrow().deviceRestarts());
        assertEquals(new DeviceRestarts(0, 60), c.vm("b").orElseThrow().deviceRestarts());
    }

    @Test
    void theBoundsAreAccepted() {
        assertEquals(new DeviceRestarts(0, 1), ok("device restarts 0 per 1\n").deviceRestarts());
        assertEquals(new DeviceRestarts(10000, 86400), ok("device restarts 10000 per 86400\n").deviceRestarts());
    }

    @Test
    void anInstanceInheritsItsParentsUnlessItSetsItsOwn() {
        VmdConfig c = ok("""
                vm "p" { device restarts 5 per 10 }
                vm "p" instance "i" { memory 1G }
                vm "p" instance "j" { device restarts 6 per 10 }
                """);
        assertEquals(new DeviceRestarts(5, 10), c.vm("i").orElseThrow().deviceRestarts());
        assertEquals(new DeviceRestarts(6, 10), c.vm("j").orElseThrow().deviceRestarts());
    }

    @Test
    void outOfBounds() {
        assertErrors("device restarts 10001 per 60\n",
                "vm.conf:1: device restarts: the count must be from 0 to 10000, not 10001");
        assertErrors("device restarts -1 per 60\n", "vm.conf:1: device restarts: the count must be from 0 to 10000, not -1");
        assertErrors("device restarts 3 per 0\n",
                "vm.conf:1: device restarts: the period must be from 1 to 86400 seconds, not 0");
        assertErrors("vm \"a\" {\n device restarts 3 per 86401\n}\n",
                "vm.conf:2: device restarts: the period must be from 1 to 86400 seconds, not 86401");
    }

    @Test
    void moreThanOnce() {
        assertErrors("device restarts 3 per 60\ndevice restarts 4 per 60\n", "vm.conf:2: device restarts specified more than once");
        assertErrors("vm \"a\" {\n device restarts 3 per 60\n device restarts 3 per 60\n}\n",
                "vm.conf:3: device restarts specified more than once");
    }

    @Test
    void syntax() {
        assertErrors("device restarts 3\n", "vm.conf:1: syntax error");
        assertErrors("device restarts 3 per 60s\n", "vm.conf:1: syntax error");
        assertErrors("device restarts three per 60\n", "vm.conf:1: syntax error");
        assertErrors("device restart 3 per 60\n", "vm.conf:1: syntax error");
        assertErrors("device\n", "vm.conf:1: syntax error");
        // a missing argument at the end of the file: its last line
        assertErrors("vm \"a\" { memory 1G }\ndevice restarts 3 per", "vm.conf:2: syntax error");
    }

    @Test
    void restartsAndPerAreNotReserved() {
        VmdConfig c = ok("restarts = \"1G\"\nper = \"2\"\nvm \"a\" {\n memory $restarts\n cpus $per\n}\nvm per { memory 1G }\n");
        assertEquals(1L << 30, c.vm("a").orElseThrow().memory());
        assertEquals(2, c.vm("a").orElseThrow().cpus());
        assertEquals(true, c.vm("per").isPresent());
    }
}

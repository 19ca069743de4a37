package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackendCommandLineTest {
    @Test
    void socketPath() {
        BackendCommandLine c = BackendCommandLine.parse("--socket-path=/tmp/x.sock", "--blk-file", "disk.img", "--read-only");
        assertEquals("/tmp/x.sock", c.socketPath());
        assertFalse(c.hasFd());
        assertEquals(List.of("--blk-file", "disk.img", "--read-only"), c.rest());
        assertEquals("/tmp/y", BackendCommandLine.parse("--socket-path", "/tmp/y").socketPath());
    }

    @Test
    void fd() {
        BackendCommandLine c = BackendCommandLine.parse("--fd=3");
        assertEquals(3, c.fd());
        assertTrue(c.hasFd());
        assertEquals(7, BackendCommandLine.parse("--fd", "7").fd());
    }

    @Test
    void printCapabilitiesIgnoresTheRest() {
        BackendCommandLine c = BackendCommandLine.parse("--print-capabilities", "--whatever");
        assertTrue(c.printCapabilities());
        assertEquals("{\n  \"type\": \"block\"\n}\n", BackendCommandLine.capabilities("block", List.of()));
        assertEquals("{\n  \"type\": \"net\",\n  \"features\": [\n    \"a\",\n    \"b\"\n  ]\n}\n",
                BackendCommandLine.capabilities("net", List.of("a", "b")));
    }

    @Test
    void theDevicesOwnOptionsFollowTheSameRules() {
        BackendCommandLine c = BackendCommandLine.parse("--fd=3", "--serial=abc", "--read-only", "--queues", "4", "disk.img");
        assertEquals(List.of(new BackendCommandLine.Option("--serial", "abc"), new BackendCommandLine.Option("--read-only", null),
                        new BackendCommandLine.Option("--queues", "4"), new BackendCommandLine.Option(null, "disk.img")),
                c.options(java.util.Set.of("--serial", "--queues"), java.util.Set.of("--read-only")));
        java.util.Set<String> v = java.util.Set.of("--serial"), f = java.util.Set.of("--read-only");
        assertEquals("unknown option --bogus", assertThrows(IllegalArgumentException.class,
                () -> BackendCommandLine.parse("--fd=3", "--bogus").options(v, f)).getMessage());
        assertEquals("--serial needs a value", assertThrows(IllegalArgumentException.class,
                () -> BackendCommandLine.parse("--fd=3", "--serial").options(v, f)).getMessage());
        assertEquals("--read-only takes no value", assertThrows(IllegalArgumentException.class,
                () -> BackendCommandLine.parse("--fd=3", "--read-only=yes").options(v, f)).getMessage());
    }

    @Test
    void errors() {
        assertEquals("one of --socket-path=PATH or --fd=FDNUM is required",
                assertThrows(IllegalArgumentException.class, () -> BackendCommandLine.parse()).getMessage());
        assertEquals("--socket-path and --fd are incompatible",
                assertThrows(IllegalArgumentException.class, () -> BackendCommandLine.parse("--fd=3", "--socket-path=/x")).getMessage());
        assertEquals("--fd: not a descriptor number: x",
                assertThrows(IllegalArgumentException.class, () -> BackendCommandLine.parse("--fd=x")).getMessage());
        assertEquals("--fd: not a descriptor number: -1",
                assertThrows(IllegalArgumentException.class, () -> BackendCommandLine.parse("--fd", "-1")).getMessage());
        assertEquals("--socket-path needs a PATH",
                assertThrows(IllegalArgumentException.class, () -> BackendCommandLine.parse("--socket-path")).getMessage());
        assertEquals("--fd given twice",
                assertThrows(IllegalArgumentException.class, () -> BackendCommandLine.parse("--fd=3", "--fd=4")).getMessage());
    }
}

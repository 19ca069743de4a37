package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * OpenBSD's own files mean the same here: the EXAMPLES of vm.conf(5) and
 * /etc/examples/vm.conf. Then malformed files, each with the exact messages
 * expected ({@code src/test/resources/config/malformed/*.expected}).
 */
class OpenBsdExamplesTest {

    private static final long G = 1024L * 1024 * 1024;

    static String resource(String name) throws IOException {
        try (InputStream in = OpenBsdExamplesTest.class.getResourceAsStream("/config/" + name)) {
            if (in == null) {
                throw new IOException("no resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ParseResult parseResource(String name) throws IOException {
        String base = name.substring(name.lastIndexOf('/') + 1);
        return TestSupport.PARSER.parseText(base, resource(name), Map.of());
    }

    @Test
    void vmConf5Examples() throws IOException {
        ParseResult r = parseResource("vm.conf.5-examples.conf");
        assertEquals(List.of(), r.messages());
        VmdConfig c = r.config();

        // "Create a new VM with 1GB memory, 1 network interface connected to
        // "uplink", with one disk image '/home/joe/vm2-disk.img', owned by user 'joe'"
        VmConfig vm2 = c.vm("vm2.example.com").orElseThrow();
        assertEquals(G, vm2.memory());
        assertEquals(List.of(new DiskConfig("/home/joe/vm2-disk.img", DiskFormat.AUTO)), vm2.disks());
        assertEquals(1, vm2.interfaces().size());
        assertEquals("uplink", vm2.interfaces().get(0).switchName());
        assertEquals(1000, vm2.owner().uid());
        assertEquals("joe", vm2.owner().user());
        assertFalse(vm2.owner().hasGid());
        assertTrue(vm2.enabled());

        // "Create a new VM as an instance from 'vm2.example.com'"
        VmConfig vm3 = c.vm("vm3.example.com").orElseThrow();
        assertEquals("vm2.example.com", vm3.instanceOf());
        assertEquals(List.of(new DiskConfig("/home/joe/vm3-disk.img", DiskFormat.AUTO)), vm3.disks());
        assertEquals(G, vm3.memory());
        assertEquals(vm2.interfaces(), vm3.interfaces());
        assertEquals(vm2.owner(), vm3.owner());

        // "Create the switch "uplink" with an additional physical network interface"
        assertEquals(List.of(new SwitchConfig("uplink", true, "bridge0", null, false, -1, true)), c.switches());
        assertEquals("bridge0", c.findSwitch(vm2.interfaces().get(0).switchName()).orElseThrow().ifname());
    }

    @Test
    void etcExamplesVmConf() throws IOException {
        ParseResult r = parseResource("etc-examples-vm.conf");
        assertEquals(List.of(), r.messages());
        VmdConfig c = r.config();
        assertEquals(List.of(new SwitchConfig("uplink", true, "bridge0", null, false, -1, true),
                new SwitchConfig("local", true, "bridge1", null, false, -1, false)), c.switches());

        String sets = "/var/www/htdocs/pub/OpenBSD/snapshots/amd64/";
        VmConfig obsd = c.vms().get(0);
        assertEquals("openbsd.vm", obsd.name());
        assertTrue(obsd.enabled());
        assertEquals(sets + "bsd.rd", obsd.boot());
        assertEquals(List.of(new DiskConfig("/home/vm/OpenBSD.img", DiskFormat.AUTO),
                new DiskConfig(sets + "install60.img", DiskFormat.AUTO)), obsd.disks());
        assertEquals(List.of("uplink", "local"),
                obsd.interfaces().stream().map(InterfaceConfig::switchName).toList());
        assertEquals(0, obsd.memory());

        VmConfig vm1 = c.vms().get(1);
        assertEquals("vm1.example.com", vm1.name());
        assertFalse(vm1.enabled());
        assertEquals(G, vm1.memory());
        assertEquals(List.of(new DiskConfig("/home/vm/vm1-disk.img", DiskFormat.AUTO)), vm1.disks());
        assertEquals(List.of(new InterfaceConfig(false, "tap3", null, MacAddress.parse("00:11:22:aa:bb:cc"), false,
                null, -1, false)), vm1.interfaces());
    }

    static Stream<String> malformed() {
        return Stream.of("block-errors", "syntax-errors", "lexer-errors", "registration-errors");
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedFile(String name) throws IOException {
        ParseResult r = parseResource("malformed/" + name + ".conf");
        List<String> expected = resource("malformed/" + name + ".expected").lines().toList();
        assertEquals(expected, r.messages());
    }
}

package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import vmd.parent.config.MacAddress;

class GeneratedMacTest {
    @Test
    void stableLocallyAdministeredUnicastAndDistinct() {
        MacAddress a = VmRegistry.generatedMac("web", 0);
        assertEquals(a, VmRegistry.generatedMac("web", 0), "stable for the VM");
        assertNotEquals(a, VmRegistry.generatedMac("web", 1));
        assertNotEquals(a, VmRegistry.generatedMac("db", 0));
        byte[] b = a.toBytes();
        assertEquals(2, b[0] & 3, "locally administered, unicast");
        assertTrue(a.toString().startsWith("fe:e1:ba:"), a.toString());
    }
}

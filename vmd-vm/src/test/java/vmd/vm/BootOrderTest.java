package vmd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class BootOrderTest {
    @Test
    void theNamedDeviceComesFirstAsSeaBiosNamesIt() {
        List<Integer> disks = List.of(2, 3, 0x1a), nics = List.of(4);
        assertEquals("/pci@i0cf8/*@1a\n", Machine.bootOrder("cdrom", disks, nics), "the cdrom is the last disk");
        assertEquals("/pci@i0cf8/*@2\n", Machine.bootOrder("disk", disks, nics));
        assertEquals("/pci@i0cf8/*@4\n", Machine.bootOrder("net", disks, nics));
    }

    @Test
    void nothingToSayWithoutAPreferenceOrADevice() {
        assertEquals("", Machine.bootOrder("", List.of(2), List.of(3)));
        assertEquals("", Machine.bootOrder("cdrom", List.of(), List.of(3)));
        assertEquals("", Machine.bootOrder("net", List.of(2), List.of()));
    }
}

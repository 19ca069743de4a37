package vmd.vm.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.vm.kvm.CpuidTable;

/** A guest may go on only where every CPU feature it was shown exists. */
class CpuCompatibilityTest {
    /** A CPUID table of {function, index, eax, ebx, ecx, edx} entries. */
    private static CpuidTable table(int[]... entries) {
        ByteBuffer b = ByteBuffer.allocate(8 + 40 * entries.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(entries.length).putInt(0);
        for (int[] e : entries) {
            b.putInt(e[0]).putInt(e[1]).putInt(0).putInt(e[2]).putInt(e[3]).putInt(e[4]).putInt(e[5]);
            b.put(new byte[12]);
        }
        return CpuidTable.fromBytes(b.array());
    }

    @Test
    void sameFeaturesOrMoreOnTheHostPass() {
        CpuidTable guest = table(new int[] {1, 0, 0, 0, 0x0000_0201, 0x0000_0001}, new int[] {7, 0, 0, 0x10, 0, 0});
        CpuidTable host = table(new int[] {1, 0, 0, 0, 0x0000_0301, 0x0000_0003}, new int[] {7, 0, 0, 0x30, 0, 0});
        assertTrue(CpuCompatibility.missing(guest, host).isEmpty());
    }

    @Test
    void aMissingFeatureIsNamedByLeafAndRegister() {
        CpuidTable guest = table(new int[] {7, 0, 0, 0x0000_0020, 0, 0}); // AVX2
        CpuidTable host = table(new int[] {7, 0, 0, 0, 0, 0});
        assertEquals(List.of("CPUID 0x7.0 ebx bits 0x00000020"), CpuCompatibility.missing(guest, host));
    }

    @Test
    void bitsThatFollowGuestStateAreNotCompared() {
        // OSXSAVE and the hypervisor bit in ECX, the APIC bit in EDX
        CpuidTable guest = table(new int[] {1, 0, 0, 0, (1 << 27) | (1 << 31), 1 << 9});
        CpuidTable host = table(new int[] {1, 0, 0, 0, 0, 0});
        assertTrue(CpuCompatibility.missing(guest, host).isEmpty());
    }
}

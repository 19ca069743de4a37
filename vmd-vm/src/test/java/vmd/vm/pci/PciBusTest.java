package vmd.vm.pci;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.vm.devices.MmioBus;
import vmd.vm.devices.PortBus;

class PciBusTest {
    /** A function with one BAR of each kind and an MSI-X table in BAR 2. */
    static final class TestDevice extends PciDevice {
        final List<String> writes = new ArrayList<>();
        final List<String> moves = new ArrayList<>();
        final MsixCapability msix;

        TestDevice() {
            super(0x1234, 0x5678, 0x020000, 3, 0x1af4, 0x1100);
            useInterruptPinA();
            defineBar(0, BarKind.IO, 0x20, false);
            defineBar(1, BarKind.MEMORY32, 0x1000, false);
            defineBar(2, BarKind.MEMORY64, 0x4000, true);
            addCapability(CAP_ID_VENDOR, 8);
            msix = addMsix(4, 2, 0, 2, 0x800);
        }

        @Override
        protected long barRead(int index, long offset, int size) {
            if (index == 2 && offset < 0x800) return msix.tableRead(offset, size);
            if (index == 2) return msix.pbaRead(offset - 0x800, size);
            return (index << 16) | offset;
        }

        @Override
        protected void barWrite(int index, long offset, int size, long value) {
            if (index == 2 && offset < 0x800) msix.tableWrite(offset, size, value);
            else writes.add(index + ":" + offset + "=" + value);
        }

        @Override
        protected void barMoved(int index, long oldAddress, long newAddress) {
            moves.add(index + ":" + (oldAddress < 0 ? "-1" : Long.toHexString(oldAddress)) + "->"
                    + (newAddress < 0 ? "-1" : Long.toHexString(newAddress)));
        }
    }

    MmioBus mmio;
    PortBus ports;
    PciBus bus;
    Map<Integer, List<Boolean>> lines;

    @BeforeEach
    void setUp() {
        mmio = new MmioBus();
        ports = new PortBus();
        lines = new HashMap<>();
        bus = new PciBus(mmio, ports, gsi -> level -> lines.computeIfAbsent(gsi, g -> new ArrayList<>()).add(level));
    }

    int cfgRead(int slot, int offset, int size) {
        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | (offset & 0xfc));
        return ports.read(0xcfc + (offset & 3), size);
    }

    void cfgWrite(int slot, int offset, int size, int value) {
        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | (offset & 0xfc));
        ports.write(0xcfc + (offset & 3), size, value);
    }

    @Test
    void hostBridgeLooksLikeQemusI440fx() {
        assertEquals(0x8086, cfgRead(0, 0, 2));
        assertEquals(0x1237, cfgRead(0, 2, 2));
        assertEquals(0x1237_8086, cfgRead(0, 0, 4));
        assertEquals(0x1af4, cfgRead(0, 0x2c, 2));
        assertEquals(0x1100, cfgRead(0, 0x2e, 2));
        assertEquals(0x06, cfgRead(0, 0x0b, 1));
        // PAM registers are storage firmware can program
        cfgWrite(0, 0x59, 1, 0x30);
        assertEquals(0x30, cfgRead(0, 0x59, 1));
        // vendor id is read-only
        cfgWrite(0, 0, 2, 0);
        assertEquals(0x8086, cfgRead(0, 0, 2));
    }

    @Test
    void absentFunctionsReadAllOnes() {
        assertEquals(0xffff_ffff, cfgRead(5, 0, 4));
        ports.write(0xcf8, 4, 0x8000_0000 | 1 << 8); // 00.1
        assertEquals(0xffff, ports.read(0xcfc, 2));
        ports.write(0xcf8, 4, 0x8001_0000); // bus 1
        assertEquals(0xffff, ports.read(0xcfc, 2));
        ports.write(0xcf8, 4, 0); // not enabled
        assertEquals(0xffff_ffff, ports.read(0xcfc, 4));
        assertEquals(0, ports.read(0xcf8, 4));
    }

    @Test
    void barSizingReadsTheSizeMaskBack() {
        int slot = bus.add(new TestDevice());
        assertEquals(1, slot);
        cfgWrite(slot, 0x10, 4, -1);
        assertEquals(0xffff_ffe1, cfgRead(slot, 0x10, 4));
        cfgWrite(slot, 0x14, 4, -1);
        assertEquals(0xffff_f000, cfgRead(slot, 0x14, 4));
        cfgWrite(slot, 0x18, 4, -1);
        cfgWrite(slot, 0x1c, 4, -1);
        assertEquals(0xffff_c00c, cfgRead(slot, 0x18, 4));
        assertEquals(0xffff_ffff, cfgRead(slot, 0x1c, 4));
        assertEquals(0, cfgRead(slot, 0x20, 4), "undefined BAR is hardwired to zero");
        cfgWrite(slot, 0x20, 4, -1);
        assertEquals(0, cfgRead(slot, 0x20, 4));
    }

    @Test
    void barsMoveOnTheBusesWithDecode() {
        TestDevice d = new TestDevice();
        int slot = bus.add(d);
        cfgWrite(slot, 0x14, 4, 0xfe00_0000);
        cfgWrite(slot, 0x18, 4, 0x0000_0000);
        cfgWrite(slot, 0x1c, 4, 0x1);
        cfgWrite(slot, 0x10, 4, 0xc040);
        assertEquals(-1L & 0xffff_ffffL, mmio.read(0xfe00_0010L, 4), "no decode yet");
        cfgWrite(slot, 0x04, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_IO);
        assertEquals((1 << 16) | 0x10, mmio.read(0xfe00_0010L, 4));
        assertEquals(0x1_0000_0000L, d.barMappedAt(2));
        assertEquals(4, ports.read(0xc044, 4));
        mmio.write(0xfe00_0020L, 4, 7);
        assertEquals(List.of("1:32=7"), d.writes);

        cfgWrite(slot, 0x14, 4, 0xfd00_0000); // move while decoding
        assertEquals(0xffff_ffffL, mmio.read(0xfe00_0010L, 4));
        assertEquals((1 << 16) | 0x10, mmio.read(0xfd00_0010L, 4));
        cfgWrite(slot, 0x10, 4, 0xc080);
        assertEquals(0xffff, ports.read(0xc044, 2));
        assertEquals(4, ports.read(0xc084, 4));

        cfgWrite(slot, 0x04, 2, 0);
        assertEquals(0xffff_ffffL, mmio.read(0xfd00_0010L, 4));
        assertEquals(-1, d.barMappedAt(1));
        assertTrue(d.moves.contains("1:fe000000->fd000000"), d.moves.toString());
        assertTrue(d.moves.contains("1:fd000000->-1"), d.moves.toString());
    }

    @Test
    void zeroAndOverlappingBarsAreNotDecoded() {
        TestDevice a = new TestDevice(), b = new TestDevice();
        int sa = bus.add(a), sb = bus.add(b);
        cfgWrite(sa, 0x04, 2, PciDevice.COMMAND_MEMORY);
        assertEquals(-1, a.barMappedAt(1), "unassigned BAR stays off the bus");
        cfgWrite(sa, 0x14, 4, 0xfe00_0000);
        cfgWrite(sb, 0x14, 4, 0xfe00_0000);
        cfgWrite(sb, 0x04, 2, PciDevice.COMMAND_MEMORY);
        assertEquals(0xfe00_0000L, a.barMappedAt(1));
        assertEquals(-1, b.barMappedAt(1));
    }

    @Test
    void capabilityListWalks() {
        int slot = bus.add(new TestDevice());
        assertNotEquals(0, cfgRead(slot, 0x06, 2) & PciDevice.STATUS_CAP_LIST);
        List<Integer> ids = new ArrayList<>();
        int p = cfgRead(slot, 0x34, 1);
        int guard = 0;
        while (p != 0 && guard++ < 48) {
            assertEquals(0, p & 3);
            ids.add(cfgRead(slot, p, 1));
            p = cfgRead(slot, p + 1, 1);
        }
        assertEquals(List.of(PciDevice.CAP_ID_VENDOR, PciDevice.CAP_ID_MSIX), ids);
    }

    @Test
    void intxGoesToGsi16To19BySlotAndSharedLinesOr() {
        assertEquals(17, PciBus.intxGsi(1));
        assertEquals(18, PciBus.intxGsi(2));
        assertEquals(19, PciBus.intxGsi(3));
        assertEquals(16, PciBus.intxGsi(4));
        assertEquals(17, PciBus.intxGsi(5));
        TestDevice[] d = new TestDevice[5];
        for (int i = 0; i < 5; i++) bus.add(d[i] = new TestDevice());
        assertEquals(17, cfgRead(1, 0x3c, 1));
        assertEquals(19, cfgRead(3, 0x3c, 1));
        assertEquals(1, cfgRead(3, 0x3d, 1));
        d[0].setIntx(true);
        d[4].setIntx(true); // slot 5 shares GSI 17
        d[0].setIntx(false);
        assertEquals(List.of(true), lines.get(17), "the line stays up while slot 5 asserts");
        d[4].setIntx(false);
        assertEquals(List.of(true, false), lines.get(17));
        // INTX_DISABLE masks the line but STATUS.INTERRUPT still shows it
        cfgWrite(3, 0x04, 2, PciDevice.COMMAND_INTX_DISABLE);
        d[2].setIntx(true);
        assertNull(lines.get(19));
        assertNotEquals(0, cfgRead(3, 0x06, 2) & PciDevice.STATUS_INTERRUPT);
        cfgWrite(3, 0x04, 2, 0);
        assertEquals(List.of(true), lines.get(19));
        assertEquals(4, bus.slots().size() - 1);
    }

    @Test
    void msixTableMaskingAndPendingBits() {
        TestDevice d = new TestDevice();
        int slot = bus.add(d);
        List<String> delivered = new ArrayList<>();
        List<Integer> changes = new ArrayList<>();
        d.msix.setSink((a, v) -> delivered.add(Long.toHexString(a) + "/" + v));
        d.msix.setListener(changes::add);
        int cap = d.msix.capabilityOffset();
        assertEquals(3, cfgRead(slot, cap + 2, 2) & 0x7ff, "table size is N-1");
        assertEquals(2, cfgRead(slot, cap + 4, 4), "table in BAR 2 at 0");
        assertEquals(0x802, cfgRead(slot, cap + 8, 4), "PBA in BAR 2 at 0x800");
        cfgWrite(slot, 0x18, 4, 0xfe00_0000);
        cfgWrite(slot, 0x1c, 4, 0);
        cfgWrite(slot, 0x04, 2, PciDevice.COMMAND_MEMORY);
        long table = 0xfe00_0000L;

        assertEquals(1, mmio.read(table + 12, 4), "vectors start masked");
        mmio.write(table + 16, 4, 0xfee0_1000L);
        mmio.write(table + 20, 4, 0);
        mmio.write(table + 24, 4, 0x4041);
        assertEquals(0xfee0_1000L, mmio.read(table + 16, 4));
        assertEquals(0x4041, mmio.read(table + 24, 4));
        assertTrue(changes.contains(1));

        d.msix.fire(1); // MSI-X still disabled: pending
        assertTrue(d.msix.pending(1));
        assertEquals(2, mmio.read(table + 0x800, 4));
        cfgWrite(slot, cap + 2, 2, MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK);
        assertTrue(changes.contains(-1));
        assertTrue(delivered.isEmpty(), "function mask holds it");
        mmio.write(table + 28, 4, 0); // unmask vector 1
        assertTrue(delivered.isEmpty());
        cfgWrite(slot, cap + 2, 2, MsixCapability.CONTROL_ENABLE);
        assertEquals(List.of("fee01000/16449"), delivered);
        assertFalse(d.msix.pending(1));
        d.msix.fire(1);
        assertEquals(2, delivered.size());
        mmio.write(table + 28, 4, 1);
        d.msix.fire(1);
        assertEquals(2, delivered.size());
        assertEquals(2, mmio.read(table + 0x800, 4));
        mmio.write(table + 28, 4, 0);
        assertEquals(3, delivered.size());
        assertEquals(0, mmio.read(table + 0x800, 4));
        // 64-bit access
        mmio.write(table + 32, 8, 0x0000_0001_fee0_2000L);
        assertEquals(0x0000_0001_fee0_2000L, mmio.read(table + 32, 8));
    }

    @Test
    void assignResourcesProgramsEveryBarAndEnablesDecode() {
        TestDevice a = new TestDevice(), b = new TestDevice();
        bus.add(a);
        bus.add(b);
        bus.assignResources(0xc000_0000L, 0x1000_0000L);
        for (TestDevice d : List.of(a, b)) {
            for (int i = 0; i < 3; i++) {
                assertTrue(d.barMappedAt(i) > 0, "BAR " + i);
                assertEquals(0, d.barMappedAt(i) % d.barSize(i));
            }
        }
        assertNotEquals(a.barMappedAt(2), b.barMappedAt(2));
    }

    @Test
    void resetControlRegister() {
        List<String> resets = new ArrayList<>();
        bus.setResetControl(new vmd.vm.devices.PowerControl() {
            @Override
            public void powerOff(String why) {}

            @Override
            public void reset(String why) {
                resets.add(why);
            }
        });
        ports.write(0xcf9, 1, 0x02);
        assertTrue(resets.isEmpty());
        ports.write(0xcf9, 1, 0x06);
        assertEquals(1, resets.size());
    }
}

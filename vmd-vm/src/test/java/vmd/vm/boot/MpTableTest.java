package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.boot.BootFixtures.MIB;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vmd.memory.GuestMemory;

class MpTableTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void table_is_found_and_consistent(int cpus) {
        GuestMemory mem = BootFixtures.memory(16 * MIB);
        MpTable.Layout l = MpTable.write(mem, cpus);
        // Linux's smp_scan_config over 0xF0000-0xFFFFF in 16-byte steps
        long mpf = -1;
        for (long a = 0xF0000; a < 0x100000; a += 16) {
            if (new String(mem.read(a, 4), StandardCharsets.US_ASCII).equals("_MP_") && BootFixtures.sum(mem.read(a, 16)) == 0) {
                mpf = a;
                break;
            }
        }
        assertEquals(l.floatingPointer(), mpf);
        assertEquals(1, mem.getByte(mpf + 8));
        assertEquals(4, mem.getByte(mpf + 9));
        long cfg = Integer.toUnsignedLong(mem.getInt(mpf + 4));
        assertEquals(l.configTable(), cfg);
        assertEquals("PCMP", new String(mem.read(cfg, 4), StandardCharsets.US_ASCII));
        int len = mem.getShort(cfg + 4) & 0xFFFF;
        assertEquals(l.configTableLength(), len);
        assertEquals(0, BootFixtures.sum(mem.read(cfg, len)));
        assertEquals(0xFEE00000, mem.getInt(cfg + 36));
        int entries = mem.getShort(cfg + 34);

        int procs = 0, ioapics = 0, isa = 0, pci = 0, local = 0;
        long p = cfg + 44;
        for (int i = 0; i < entries; i++) {
            int type = mem.getByte(p);
            switch (type) {
                case 0 -> {
                    assertEquals(procs, mem.getByte(p + 1), "APIC id");
                    assertEquals(procs == 0 ? 3 : 1, mem.getByte(p + 3), "enabled (+ BSP)");
                    procs++;
                    p += 20;
                }
                case 1 -> p += 8;
                case 2 -> {
                    assertEquals(cpus, mem.getByte(p + 1));
                    assertEquals(0xFEC00000, mem.getInt(p + 4));
                    ioapics++;
                    p += 8;
                }
                case 3 -> {
                    int flags = mem.getShort(p + 2), bus = mem.getByte(p + 4), irq = mem.getByte(p + 5), pin = mem.getByte(p + 7);
                    assertEquals(cpus, mem.getByte(p + 6), "destination IOAPIC");
                    if (bus == MpTable.ISA_BUS) {
                        assertEquals(irq == 0 ? 2 : irq, pin);
                        assertEquals(irq == 9 ? 0x0D : 0, flags);
                        assertNotEquals(2, irq);
                        isa++;
                    } else {
                        int slot = irq >> 2, intx = irq & 3;
                        assertEquals(16 + (slot + intx) % 4, pin);
                        assertEquals(0x0F, flags, "level, active low");
                        pci++;
                    }
                    p += 8;
                }
                case 4 -> {
                    local++;
                    p += 8;
                }
                default -> fail("unexpected MP entry " + type);
            }
        }
        assertEquals(cfg + len, p);
        assertEquals(cpus, procs);
        assertEquals(1, ioapics);
        assertEquals(15, isa);
        assertEquals(31 * 4, pci);
        assertEquals(2, local);
    }
}

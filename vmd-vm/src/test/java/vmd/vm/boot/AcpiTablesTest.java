package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.boot.BootFixtures.MIB;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vmd.memory.GuestMemory;

class AcpiTablesTest {
    static final long RAM = 16 * MIB;

    /** Linux's legacy search: 16-byte steps through 0xE0000-0xFFFFF for "RSD PTR " with a valid checksum. */
    static long scanForRsdp(GuestMemory mem) {
        for (long a = 0xE0000; a < 0x100000; a += 16) {
            if (new String(mem.read(a, 8), StandardCharsets.US_ASCII).equals("RSD PTR ") && BootFixtures.sum(mem.read(a, 20)) == 0) {
                return a;
            }
        }
        return -1;
    }

    static String sig(GuestMemory mem, long a) {
        return new String(mem.read(a, 4), StandardCharsets.US_ASCII);
    }

    static byte[] table(GuestMemory mem, long a) {
        return mem.read(a, mem.getInt(a + 4));
    }

    /** Signature -> address, following RSDP -> XSDT -> tables, FADT -> DSDT/FACS. */
    static Map<String, Long> walk(GuestMemory mem) {
        long rsdp = scanForRsdp(mem);
        assertEquals(0xE0000, rsdp);
        assertEquals(2, mem.getByte(rsdp + 15), "RSDP revision");
        assertEquals(36, mem.getInt(rsdp + 20));
        assertEquals(0, BootFixtures.sum(mem.read(rsdp, 36)), "RSDP extended checksum");
        long rsdt = Integer.toUnsignedLong(mem.getInt(rsdp + 16));
        long xsdt = mem.getLong(rsdp + 24);
        assertEquals("RSDT", sig(mem, rsdt));
        assertEquals("XSDT", sig(mem, xsdt));
        Map<String, Long> found = new HashMap<>();
        found.put("RSDP", rsdp);
        found.put("RSDT", rsdt);
        found.put("XSDT", xsdt);
        int n = (mem.getInt(xsdt + 4) - 36) / 8;
        assertEquals(n, (mem.getInt(rsdt + 4) - 36) / 4);
        for (int i = 0; i < n; i++) {
            long t = mem.getLong(xsdt + 36 + 8L * i);
            assertEquals(t, Integer.toUnsignedLong(mem.getInt(rsdt + 36 + 4L * i)), "RSDT and XSDT list the same tables");
            found.put(sig(mem, t), t);
        }
        long fadt = found.get("FACP");
        long dsdt = mem.getLong(fadt + 140);
        assertEquals(dsdt, Integer.toUnsignedLong(mem.getInt(fadt + 40)));
        found.put(sig(mem, dsdt), dsdt);
        long facs = Integer.toUnsignedLong(mem.getInt(fadt + 36));
        assertEquals(0, mem.getLong(fadt + 132), "X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is set");
        found.put(sig(mem, facs), facs);
        return found;
    }

    @Test
    void every_table_is_found_and_checksummed() {
        GuestMemory mem = BootFixtures.memory(RAM);
        AcpiTables.Layout layout = AcpiTables.write(mem, 4);
        Map<String, Long> t = walk(mem);
        assertEquals(Map.of("RSDP", layout.rsdp(), "RSDT", layout.rsdt(), "XSDT", layout.xsdt(), "FACP", layout.fadt(),
                "APIC", layout.madt(), "DSDT", layout.dsdt(), "FACS", layout.facs()), t);
        for (String s : List.of("RSDT", "XSDT", "FACP", "APIC", "DSDT")) {
            assertEquals(0, BootFixtures.sum(table(mem, t.get(s))), s + " checksum");
            assertEquals(0, t.get(s) % 16, s + " alignment");
        }
        assertEquals(0, layout.facs() % 64, "FACS is 64-byte aligned");
        assertEquals(64, mem.getInt(layout.facs() + 4));
        assertTrue(layout.end() <= 0xF0000);
        assertEquals(2, mem.getByte(layout.dsdt() + 8), "DSDT revision 2 (64-bit integers)");
    }

    @Test
    void fadt_fields() {
        GuestMemory mem = BootFixtures.memory(RAM);
        long f = AcpiTables.write(mem, 1).fadt();
        assertEquals(276, mem.getInt(f + 4));
        assertEquals(6, mem.getByte(f + 8));
        assertEquals(9, mem.getShort(f + 46), "SCI_INT");
        assertEquals(0, mem.getInt(f + 48), "SMI_CMD");
        assertEquals(0x600, mem.getInt(f + 56));
        assertEquals(0x604, mem.getInt(f + 64));
        assertEquals(0x608, mem.getInt(f + 76));
        assertEquals(0x620, mem.getInt(f + 80));
        assertEquals(4, mem.getByte(f + 88));
        assertEquals(2, mem.getByte(f + 89));
        assertEquals(4, mem.getByte(f + 91));
        assertEquals(4, mem.getByte(f + 92));
        assertEquals(0x32, mem.getByte(f + 108), "CENTURY");
        int flags = mem.getInt(f + 112);
        assertEquals(0, flags & AcpiTables.FADT_PWR_BUTTON, "power button is a fixed feature");
        assertNotEquals(0, flags & AcpiTables.FADT_RESET_REG_SUP);
        assertEquals(0, flags & (1 << 20), "not hardware-reduced");
        // RESET_REG: SystemIO, 8 bits, port 0x64, value 0xFE
        assertEquals(1, mem.getByte(f + 116));
        assertEquals(8, mem.getByte(f + 117));
        assertEquals(0x64, mem.getLong(f + 120));
        assertEquals((byte) 0xFE, mem.getByte(f + 128));
        // X_ blocks agree with the 32-bit ones
        long[][] x = {{148, 0x600, 32}, {172, 0x604, 16}, {208, 0x608, 32}, {220, 0x620, 32}};
        for (long[] g : x) {
            assertEquals(1, mem.getByte(f + g[0]), "X block space id");
            assertEquals(g[2], mem.getByte(f + g[0] + 1) & 0xFF, "X block bit width");
            assertEquals(g[1], mem.getLong(f + g[0] + 4));
        }
        assertEquals(0, mem.getLong(f + 160 + 4), "no PM1b");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void madt_entries(int cpus) {
        GuestMemory mem = BootFixtures.memory(RAM);
        long m = AcpiTables.write(mem, cpus).madt();
        assertEquals(0xFEE00000, mem.getInt(m + 36));
        assertEquals(1, mem.getInt(m + 40), "PCAT_COMPAT");
        int len = mem.getInt(m + 4);
        List<int[]> lapics = new ArrayList<>();
        List<byte[]> isos = new ArrayList<>();
        int ioapics = 0, nmis = 0;
        for (long p = m + 44; p < m + len; ) {
            int type = mem.getByte(p) & 0xFF, l = mem.getByte(p + 1) & 0xFF;
            byte[] e = mem.read(p, l);
            switch (type) {
                case 0 -> {
                    assertEquals(8, l);
                    lapics.add(new int[] {e[2], e[3], mem.getInt(p + 4)});
                }
                case 1 -> {
                    assertEquals(12, l);
                    assertEquals(cpus, e[2], "IOAPIC id");
                    assertEquals(0xFEC00000, mem.getInt(p + 4));
                    assertEquals(0, mem.getInt(p + 8), "GSI base");
                    ioapics++;
                }
                case 2 -> {
                    assertEquals(10, l);
                    isos.add(e);
                }
                case 4 -> {
                    assertEquals(6, l);
                    assertEquals((byte) 0xFF, e[2]);
                    assertEquals(1, e[5], "LINT1");
                    nmis++;
                }
                default -> fail("unexpected MADT entry type " + type);
            }
            p += l;
        }
        assertEquals(cpus, lapics.size());
        for (int i = 0; i < cpus; i++) assertArrayEquals(new int[] {i, i, 1}, lapics.get(i));
        assertEquals(1, ioapics);
        assertEquals(1, nmis);
        assertEquals(2, isos.size());
        assertEquals(0, isos.get(0)[3]);
        assertEquals(2, mem.getInt(m + 44 + cpus * 8 + 12 + 4));
        assertEquals(0, isos.get(0)[8] | isos.get(0)[9]);
        assertEquals(9, isos.get(1)[3]);
        assertEquals(9, isos.get(1)[4]);
        assertEquals(0x0D, isos.get(1)[8], "level, active high");
    }

    @Test
    void too_many_cpus() {
        GuestMemory mem = BootFixtures.memory(RAM);
        BootException e = assertThrows(BootException.class, () -> AcpiTables.write(mem, 255));
        assertEquals("vCPU count 255 is outside 1..254", e.getMessage());
        AcpiTables.write(mem, 254);
        assertEquals(0, BootFixtures.sum(table(mem, walk(mem).get("APIC"))));
    }

    @Test
    void aml_encodings() {
        assertArrayEquals(new byte[] {0x0C, 0x41, (byte) 0xD0, 0x0A, 0x03}, Aml.eisaId("PNP0A03"));
        assertArrayEquals(new byte[] {0x3F}, Aml.pkgLength(62));
        assertArrayEquals(new byte[] {0x41, 0x04}, Aml.pkgLength(63));            // 63 + 2 = 0x041
        assertArrayEquals(new byte[] {0x4F, (byte) 0xFF}, Aml.pkgLength(4093)); // 4093 + 2 = 0xFFF
        assertArrayEquals(new byte[] {(byte) 0x81, 0x00, 0x01}, Aml.pkgLength(4094)); // 4094 + 3 = 0x1001
        assertArrayEquals(new byte[] {0x5C, '_', 'S', 'B', '_'}, Aml.nameString("\\_SB"));
        assertArrayEquals(new byte[] {0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}, Aml.nameString("_SB.PCI0"));
        byte[] rt = new Aml.Resources().irqNoFlags(4).bytes();
        assertArrayEquals(new byte[] {0x22, 0x10, 0x00, 0x79, (byte) -(0x22 + 0x10 + 0x79)}, rt);
        assertEquals(0, BootFixtures.sum(rt));
    }

    /** The DSDT in guest memory disassembles with iasl, and equals iasl's own compilation of the reference ASL. */
    @Test
    void dsdt_decodes_with_iasl(@TempDir Path dir) throws Exception {
        Path iasl = BootFixtures.iasl();
        GuestMemory mem = BootFixtures.memory(RAM);
        byte[] dsdt = table(mem, AcpiTables.write(mem, 2).dsdt());
        Path aml = dir.resolve("vmd-dsdt.aml");
        Files.write(aml, dsdt);
        Run d = run(dir, iasl.toString(), "-d", aml.toString());
        assertEquals(0, d.code, d.output);
        assertFalse(d.output.matches("(?s).*\\b(Error|Warning)\\b.*"), d.output);
        String dsl = Files.readString(dir.resolve("vmd-dsdt.dsl"));
        for (String s : List.of("Device (PCI0)", "EisaId (\"PNP0A03\")", "Name (_PRT, Package (0x7C)", "Device (COM1)",
                "EisaId (\"PNP0501\")", "Name (\\_S5, Package (0x04)", "0xFEBFFFFF", "0x001FFFFF")) {
            assertTrue(dsl.contains(s), "disassembly lacks " + s + ":\n" + dsl);
        }

        // iasl compiles the hand-written reference (no optimisations, so no root-prefix shortening).
        Path asl = dir.resolve("ref.asl");
        try (InputStream in = getClass().getResourceAsStream("/boot/dsdt.asl")) {
            Files.write(asl, in.readAllBytes());
        }
        Run c = run(dir, iasl.toString(), "-oa", "-p", dir.resolve("ref").toString(), asl.toString());
        assertEquals(0, c.code, c.output);
        byte[] ref = Files.readAllBytes(dir.resolve("ref.aml"));
        assertEquals(ref.length, dsdt.length, "AML length");
        // Same AML; the only difference allowed is the End Tag checksum iasl leaves at 0.
        List<Integer> diffs = new ArrayList<>();
        for (int i = 36; i < dsdt.length; i++) {
            if (dsdt[i] != ref[i]) {
                assertTrue(dsdt[i - 1] == 0x79 && ref[i - 1] == 0x79 && ref[i] == 0, "AML differs at offset " + i);
                diffs.add(i);
            }
        }
        assertEquals(3, diffs.size(), "one End Tag checksum per resource template");
    }

    record Run(int code, String output) {}

    static Run run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }
}

package vmd.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/** Asserts DESIGN.md section 2 from outside a process: its mapping's smaps entry. */
public final class MemoryContract {
    private MemoryContract() {}

    /** Shared memfd mapping, not forked (dc), not dumped (dd), sealed (sl). */
    public static void assertSealedGuestMapping(long pid, long address) {
        ProcFs.Mapping m = ProcFs.mappingAt(pid, address);
        assertNotNull(m, "no mapping at 0x" + Long.toHexString(address) + " in pid " + pid);
        assertTrue(m.header().contains("/memfd:"), "memfd-backed: " + m.header());
        for (String flag : List.of("sh", "dc", "dd", "sl")) {
            assertTrue(m.vmFlags().contains(flag), "pid " + pid + " VmFlags has " + flag + ": " + m.vmFlags());
        }
    }
}

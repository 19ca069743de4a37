package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.VmConfig;
import vmd.testing.MemoryContract;
import vmd.testing.ProcFs;

/**
 * Every process of a running VM, seen from outside: unprivileged, no_new_privs, seccomp
 * filtered, no capabilities; the device in its own network namespace; and guest memory
 * mapped under the sealed contract in each process that maps it.
 */
class ProcessSandboxTest {
    @Test
    void vmAndDeviceProcessesAreConfinedAndShareSealedMemory() throws Exception {
        Path disk = VmFixture.scratchDisk("sandbox-test", 1 << 20);
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(VmConfig.builder("sandbox").boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20)
                    .disk(disk.toString(), DiskFormat.RAW).cmdline("console=ttyS0").build());
            f.awaitConsole("VMDTEST READY", Duration.ofSeconds(60));
            int vmPid = f.onEvents(vm::pid);
            int blkPid = f.onEvents(() -> vm.devices.get(0).pid());
            for (int pid : List.of(vmPid, blkPid)) {
                assertFalse(ProcFs.status(pid, "Uid").startsWith("0"), "pid " + pid + " runs unprivileged");
                assertEquals("1", ProcFs.status(pid, "NoNewPrivs"));
                assertEquals("2", ProcFs.status(pid, "Seccomp"), "pid " + pid + " (vm " + vmPid + ", vioblk " + blkPid + ") is seccomp-filtered");
                assertEquals("0000000000000000", ProcFs.status(pid, "CapEff"));
                ProcFs.Mapping ram = ProcFs.smaps(pid).stream().filter(m -> m.header().contains("/memfd:vm-sandbox"))
                        .findFirst().orElseThrow(() -> new AssertionError("pid " + pid + " maps no guest memory"));
                MemoryContract.assertSealedGuestMapping(pid, ram.start());
            }
            String ourNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            assertNotEquals(ourNet, Files.readSymbolicLink(Path.of("/proc/" + blkPid + "/ns/net")).toString(),
                    "vioblk has a network namespace of its own");
            assertTrue(ProcFs.fds(vmPid).values().stream().noneMatch(t -> t.endsWith("disk.raw")),
                    "the vm process never sees the disk image");
        } finally {
            VmFixture.deleteScratch(disk);
        }
    }
}

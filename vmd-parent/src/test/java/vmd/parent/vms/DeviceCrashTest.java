package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.VmConfig;
import vmd.sys.Signals;

/** A device process killed with SIGKILL takes nothing else with it. */
class DeviceCrashTest {
    @Test
    void killedVioblkLeavesTheVmAndTheDaemonRunning() throws Exception {
        Path disk = VmFixture.scratchDisk("crash-test", 1 << 20);
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(VmConfig.builder("crash").boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20)
                    .disk(disk.toString(), DiskFormat.RAW).cmdline("console=ttyS0").build());
            f.awaitConsole("VMDTEST READY", Duration.ofSeconds(60));
            int devicePid = f.onEvents(() -> vm.devices.get(0).pid());
            int vmPid = f.onEvents(vm::pid);
            Signals.kill(devicePid, Signals.SIGKILL);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!f.onEvents(vm::lastReason).contains("killed by signal 9")) {
                assertTrue(System.nanoTime() < deadline, "the parent noticed the device's death");
                Thread.sleep(50);
            }
            assertTrue(f.onEvents(vm::lastReason).startsWith("vioblk crash/disk0"), f.onEvents(vm::lastReason));
            // The guest and its vm process carry on.
            f.type("help\r");
            f.awaitConsole("VMDTEST OK help", Duration.ofSeconds(30));
            assertEquals(VmState.RUNNING, f.onEvents(vm::state));
            assertEquals(vmPid, (int) f.onEvents(vm::pid));
            assertTrue(ProcessHandle.of(vmPid).map(ProcessHandle::isAlive).orElse(false));
            // The guest's disk is gone: its I/O fails (the device needs reset), it does not hang.
            f.type("blk\r");
            f.awaitConsole("VMDTEST FAIL blk", Duration.ofSeconds(30));
        } finally {
            VmFixture.deleteScratch(disk);
        }
    }
}

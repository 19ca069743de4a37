package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import vmd.parent.config.ConfigParser;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.ParseResult;
import vmd.parent.config.VmConfig;
import vmd.sys.Signals;

/**
 * A device process killed with SIGKILL takes nothing else with it: the parent restarts it
 * with the same image and the guest's disk works again (DESIGN.md section 5); past the
 * restart budget the device stays dead and the guest's I/O fails instead of hanging.
 */
class DeviceCrashTest {
    private static final Duration BOOT = Duration.ofSeconds(60), COMMAND = Duration.ofSeconds(60);

    @Test
    void killedVioblkIsRestartedAndTheGuestsDiskWorksAgain() throws Exception {
        Path disk = VmFixture.scratchDisk("crash-test", 4 << 20);
        try (VmFixture f = new VmFixture()) {
            Vm vm = start(f, "crash", disk);
            f.awaitConsole("VMDTEST READY", BOOT);
            f.type("blk\r");
            f.awaitConsole("VMDTEST OK blk", COMMAND);
            DeviceProcess vioblk = f.onEvents(() -> vm.devices.get(0));
            int oldPid = vioblk.pid();
            int vmPid = f.onEvents(vm::pid);
            Signals.kill(oldPid, Signals.SIGKILL);
            awaitReason(f, vm, "killed by signal 9; restarted");
            assertTrue(f.onEvents(vm::lastReason).startsWith("vioblk crash/disk0"), f.onEvents(vm::lastReason));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!(f.onEvents(vioblk::alive) && f.onEvents(vioblk::pid) != oldPid)) {
                assertTrue(System.nanoTime() < deadline, "a new vioblk process runs");
                Thread.sleep(50);
            }
            assertNotEquals(oldPid, (int) f.onEvents(vioblk::pid));
            // The same vm process carries on, and the guest's disk works through the new process.
            int mark = f.mark();
            f.type("blk\r");
            f.awaitConsole("VMDTEST OK blk", COMMAND, mark);
            assertEquals(VmState.RUNNING, f.onEvents(vm::state));
            assertEquals(vmPid, (int) f.onEvents(vm::pid));
        } finally {
            VmFixture.deleteScratch(disk);
        }
    }

    @Test
    void withSpareDevicesAKilledVioblkIsServedByTheWarmSpare() throws Exception {
        Path disk = VmFixture.scratchDisk("crash-test3", 4 << 20);
        try (VmFixture f = new VmFixture()) {
            f.onEvents(() -> f.registry().spareDevices(true));
            Vm vm = start(f, "warm", disk);
            f.awaitConsole("VMDTEST READY", BOOT);
            int spare = awaitSpare(f, -1);
            int oldPid = f.onEvents(() -> vm.devices.get(0).pid());
            assertNotEquals(spare, oldPid, "the device's first process is not the spare");
            Signals.kill(oldPid, Signals.SIGKILL);
            awaitReason(f, vm, "killed by signal 9; restarted");
            // The spare became the device, and a new spare stands by.
            assertEquals(spare, (int) f.onEvents(() -> vm.devices.get(0).pid()));
            int next = awaitSpare(f, spare);
            assertNotEquals(spare, next);
            int mark = f.mark();
            f.type("blk\r");
            f.awaitConsole("VMDTEST OK blk", COMMAND, mark);
        } finally {
            VmFixture.deleteScratch(disk);
        }
    }

    /** Waits for a spare vioblk process other than {@code not}; returns its pid. */
    private static int awaitSpare(VmFixture f, int not) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Integer pid = f.onEvents(() -> f.registry().sparePids().get("vioblk"));
            if (pid != null && pid != not) return pid;
            assertTrue(System.nanoTime() < deadline, "a spare vioblk process runs");
            Thread.sleep(50);
        }
    }

    /** With vm.conf's {@code device restarts 0 per 60}, handed to the registry as vmd does. */
    @Test
    void aDeviceBeyondItsRestartBudgetStaysDeadAndTheGuestsIoFails() throws Exception {
        Path disk = VmFixture.scratchDisk("crash-test2", 1 << 20);
        try (VmFixture f = new VmFixture()) {
            ParseResult conf = new ConfigParser().parseText("vm.conf", "device restarts 0 per 60\nvm \"crash2\" {\n\tboot \""
                    + VmFixture.TEST_GUEST + "\"\n\tmemory 64M\n\tdisk \"" + disk + "\" format raw\n\tcmdline \"console=ttyS0\"\n}\n",
                    java.util.Map.of());
            assertEquals(java.util.List.of(), conf.messages());
            f.onEvents(() -> f.registry().deviceRestarts(conf.config().deviceRestarts()));
            Vm vm = f.start(conf.config().vms().get(0));
            f.awaitConsole("VMDTEST READY", BOOT);
            int devicePid = f.onEvents(() -> vm.devices.get(0).pid());
            int vmPid = f.onEvents(vm::pid);
            Signals.kill(devicePid, Signals.SIGKILL);
            awaitReason(f, vm, "not restarted (at most 0 restarts in 60 s)");
            assertTrue(f.onEvents(vm::lastReason).startsWith("vioblk crash2/disk0 killed by signal 9"), f.onEvents(vm::lastReason));
            assertTrue(f.onEvents(vm.devices::isEmpty), "the parent let the device go");
            // The guest and its vm process carry on.
            f.type("help\r");
            f.awaitConsole("VMDTEST OK help", COMMAND);
            assertEquals(VmState.RUNNING, f.onEvents(vm::state));
            assertEquals(vmPid, (int) f.onEvents(vm::pid));
            assertTrue(ProcessHandle.of(vmPid).map(ProcessHandle::isAlive).orElse(false));
            // The guest's disk is gone: its I/O fails (the device needs reset), it does not hang.
            f.type("blk\r");
            f.awaitConsole("VMDTEST FAIL blk", COMMAND);
        } finally {
            VmFixture.deleteScratch(disk);
        }
    }

    private static Vm start(VmFixture f, String name, Path disk) throws Exception {
        return f.start(VmConfig.builder(name).boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20)
                .disk(disk.toString(), DiskFormat.RAW).cmdline("console=ttyS0").build());
    }

    static void awaitReason(VmFixture f, Vm vm, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!f.onEvents(vm::lastReason).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "status never said \"" + text + "\": " + f.onEvents(vm::lastReason));
            Thread.sleep(50);
        }
    }
}

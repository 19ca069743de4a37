package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import vmd.imsg.VmTerminated.ExitKind;
import vmd.imsg.VmTerminated;
import vmd.parent.config.VmConfig;

/** The project's test guest under real KVM, started as vmd starts VMs. */
class TestGuestBootTest {
    private static final Duration BOOT = Duration.ofSeconds(60);

    static VmConfig guest(String name, int cpus, String commands) {
        return VmConfig.builder(name).boot(VmFixture.TEST_GUEST.toString()).memory(128L << 20).cpus(cpus)
                .cmdline("console=ttyS0" + (commands == null ? "" : " vmdtest=" + commands)).build();
    }

    @ParameterizedTest(name = "{0} vcpus")
    @ValueSource(ints = {1, 2, 4})
    void bootsBringsUpEveryCpuUsesVirtioRngAndPowersOff(int cpus) throws Exception {
        try (VmFixture f = new VmFixture()) {
            f.start(guest("smp" + cpus, cpus, "cpus,pci,rng,poweroff"));
            VmTerminated end = f.awaitEnd(BOOT);
            String console = f.console();
            assertEquals(ExitKind.POWEROFF, end.kind(), console);
            assertEquals("ACPI S5", end.reason());
            assertTrue(console.contains("vmd test guest"), console);
            assertTrue(console.contains("cpus: " + cpus + " of " + cpus + " up"), console);
            assertTrue(console.contains("VMDTEST OK cpus"), console);
            assertTrue(console.contains("1af4:1044 class 00ff00 virtio-rng"), console);
            assertTrue(console.contains("VMDTEST OK rng"), console);
            assertFalse(console.contains("VMDTEST FAIL"), console);
        }
    }

    @Test
    void pausedGuestDoesNothingUntilUnpaused() throws Exception {
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(guest("pause", 2, null));
            f.awaitConsole("VMDTEST READY", BOOT);
            f.onEvents(() -> f.registry().pause(vm));
            assertEquals(VmState.PAUSED, f.onEvents(vm::state));
            f.type("help\r");
            Thread.sleep(1500); // a running guest answers within milliseconds
            assertFalse(f.console().contains("VMDTEST OK help"), "a paused guest answered:\n" + f.console());
            f.onEvents(() -> f.registry().unpause(vm));
            f.awaitConsole("VMDTEST OK help", BOOT);
            assertEquals(VmState.RUNNING, f.onEvents(vm::state));
        }
    }

    @Test
    void gracefulStopPressesThePowerButton() throws Exception {
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(guest("graceful", 1, null));
            f.awaitConsole("VMDTEST READY", BOOT);
            f.onEvents(() -> f.registry().stop(vm, false, 60_000));
            VmTerminated end = f.awaitEnd(BOOT);
            assertEquals(ExitKind.POWEROFF, end.kind());
            assertTrue(f.console().contains("VMDTEST POWERBUTTON"), f.console());
        }
    }

    @Test
    void gracefulStopThatTimesOutForcesTheVmOff() throws Exception {
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(guest("stubborn", 1, null));
            f.awaitConsole("VMDTEST READY", BOOT);
            f.onEvents(() -> f.registry().pause(vm)); // a paused guest cannot answer the button
            f.onEvents(() -> f.registry().stop(vm, false, 500));
            VmTerminated end = f.awaitEnd(BOOT);
            assertEquals(ExitKind.KILLED, end.kind());
            assertTrue(end.reason().contains("forced off"), end.reason());
        }
    }

    @Test
    void forcedStopEndsTheVmAtOnce() throws Exception {
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(guest("forced", 2, null));
            f.awaitConsole("VMDTEST READY", BOOT);
            int pid = f.onEvents(vm::pid);
            f.onEvents(() -> f.registry().stop(vm, true, 0));
            f.awaitEnd(BOOT);
            assertEquals(VmState.STOPPED, f.onEvents(vm::state));
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
    }

    @Test
    void guestRebootRestartsOnTheSameConsole() throws Exception {
        try (VmFixture f = new VmFixture()) {
            Vm vm = f.start(guest("reboot", 1, null));
            f.awaitConsole("VMDTEST READY", BOOT);
            String tty = f.onEvents(vm::tty);
            int firstPid = f.onEvents(vm::pid);
            f.type("reboot\r");
            long deadline = System.nanoTime() + BOOT.toNanos();
            while (f.console().indexOf("VMDTEST READY") == f.console().lastIndexOf("VMDTEST READY")) {
                if (System.nanoTime() > deadline) throw new AssertionError("no second boot:\n" + f.console());
                Thread.sleep(20);
            }
            assertEquals(tty, f.onEvents(vm::tty));
            int secondPid = f.onEvents(vm::pid);
            assertTrue(secondPid > 0 && secondPid != firstPid, "a new vm process: " + firstPid + " -> " + secondPid);
        }
    }

    @Test
    void badBootImageFailsBeforeAnyVcpuRuns() throws Exception {
        java.nio.file.Path junk = java.nio.file.Files.createTempFile("not-a-kernel", ".img");
        java.nio.file.Files.write(junk, "this is not a kernel".getBytes());
        junk.toFile().setReadable(true, false);
        try (VmFixture f = new VmFixture()) {
            f.start(VmConfig.builder("junk").boot(junk.toString()).memory(64L << 20).build());
            VmTerminated end = f.awaitEnd(BOOT);
            assertEquals(ExitKind.ERROR, end.kind());
            assertTrue(end.reason().toLowerCase().contains("not"), end.reason());
            assertEquals("", f.console(), "nothing ran");
        } finally {
            java.nio.file.Files.deleteIfExists(junk);
        }
    }
}

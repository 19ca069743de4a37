package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import vmd.imsg.VmTerminated;
import vmd.imsg.VmTerminated.ExitKind;
import vmd.parent.config.VmConfig;

/**
 * A stock Debian kernel booted by vmd through the 64-bit boot protocol. On hardware
 * virtualization it boots to its initramfs and powers off; under PVM it gets to its
 * `Memory:` line and then stops on an instruction PVM cannot emulate — which vmd must
 * report as the VM's error, with the VM ended cleanly.
 */
class LinuxBootTest {
    @Test
    void debianKernelBootsWithOurCommandLine() throws Exception {
        // earlyprintk: the log reaches the UART before the 8250 driver loads (PVM stops before that);
        // nokaslr: under PVM the decompressor is emulated, and relocating the kernel doubles its time.
        String cmdline = "console=ttyS0 earlyprintk=serial nokaslr vmdguest.run=hello panic=-1 vmdtest.marker=7d3f";
        try (VmFixture f = new VmFixture()) {
            f.start(VmConfig.builder("linux").boot(GuestImages.kernel().toString())
                    .initrd(GuestImages.initramfs().toString()).memory(512L << 20).cpus(1).cmdline(cmdline).build());
            f.awaitConsole("Command line: " + cmdline, Duration.ofSeconds(400));
            f.awaitConsole("Memory: ", Duration.ofSeconds(300));
            if (GuestImages.pvm()) {
                System.err.println("PVM: the kernel reached Memory:; the rest of its boot needs hardware virtualization");
                VmTerminated end = f.awaitEnd(Duration.ofSeconds(300));
                assertEquals(ExitKind.ERROR, end.kind(), f.console());
                assertTrue(end.reason().contains("KVM internal error"), end.reason());
            } else {
                f.awaitConsole("VMDGUEST PASS hello", Duration.ofSeconds(120));
                assertEquals(ExitKind.POWEROFF, f.awaitEnd(Duration.ofSeconds(60)).kind());
            }
            assertTrue(f.console().contains("BIOS-e820: [mem 0x0000000000100000-"), "Linux read our e820 map");
            assertTrue(f.console().contains("ACPI: RSDP 0x00000000000E0000"), "Linux found our ACPI tables");
        }
    }
}

package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.boot.BootFixtures.MIB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;

/**
 * A distribution kernel ($VMD_TEST_KERNEL, else the one scripts/guest-images.sh caches, else
 * /boot/vmlinuz-*): header parses, layout works.
 */
class RealKernelTest {
    static Optional<Path> kernel() throws IOException {
        String env = System.getenv("VMD_TEST_KERNEL");
        if (env != null && Files.isReadable(Path.of(env))) return Optional.of(Path.of(env));
        String cache = System.getenv("VMD_GUEST_IMAGES");
        Path cached = Path.of(cache != null ? cache : "/var/cache/vmd/guest-images", "vmlinuz");
        if (Files.isReadable(cached)) return Optional.of(cached);
        if (!Files.isDirectory(Path.of("/boot"))) return Optional.empty();
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).filter(Files::isReadable).sorted().findFirst();
        }
    }

    @Test
    void distribution_kernel_lays_out() throws IOException {
        Optional<Path> k = kernel();
        BootFixtures.require(k.isPresent(), "a Linux bzImage (run scripts/guest-images.sh, or set VMD_TEST_KERNEL)");
        byte[] image = Files.readAllBytes(k.get());
        BzImage b = BzImage.parse(image);
        System.err.println(k.get() + ": " + b);
        assertTrue(b.version() >= 0x020C);
        assertTrue(b.relocatable());
        long ram = 512 * MIB;
        GuestMemory mem = BootFixtures.memory(ram);
        BootImage.Plan plan = BootImage.load(mem, image, ram, 2, LinuxBoot.DEFAULT_CMDLINE, new byte[3 * 1024 * 1024]);
        LinuxBoot.Result r = plan.linux().orElseThrow();
        assertTrue(r.kernelRamEnd() <= r.initrdAddress());
        assertEquals(0x100200, ((CpuState) plan.bsp()).rip());
        // the image's header is in the zero page (type_of_loader and the pointers are ours)
        byte[] hdr = b.setupHeader();
        assertArrayEquals(java.util.Arrays.copyOfRange(hdr, 0, 0x1F), mem.read(0x7000 + 0x1F1, 0x1F));
        assertEquals(b.version(), mem.getShort(0x7000 + 0x206) & 0xFFFF);
        assertEquals(b.initSize(), Integer.toUnsignedLong(mem.getInt(0x7000 + 0x260)));
    }
}

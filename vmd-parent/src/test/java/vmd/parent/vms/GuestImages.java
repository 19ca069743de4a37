package vmd.parent.vms;

import java.nio.file.Files;
import java.nio.file.Path;
import vmd.testing.Prerequisites;

/** The Debian kernel and initramfs that scripts/guest-images.sh builds, and the platform's kind of KVM. */
final class GuestImages {
    static Path dir() {
        String d = System.getenv("VMD_GUEST_IMAGES");
        return Path.of(d != null ? d : "/var/cache/vmd/guest-images");
    }

    static Path kernel() {
        Path k = dir().resolve("vmlinuz");
        Prerequisites.require(Files.isReadable(k), k + " (run scripts/guest-images.sh)");
        return k;
    }

    static Path initramfs() {
        Path i = dir().resolve("initramfs.cpio.gz");
        Prerequisites.require(Files.isReadable(i), i + " (run scripts/guest-images.sh)");
        return i;
    }

    /**
     * PVM (kvm_pvm), the software nested hypervisor of the build machines, emulates guest
     * CPL 0 and cannot finish booting an unmodified Linux (DESIGN.md section 8).
     */
    static boolean pvm() {
        return Files.exists(Path.of("/sys/module/kvm_pvm"));
    }

    private GuestImages() {}
}

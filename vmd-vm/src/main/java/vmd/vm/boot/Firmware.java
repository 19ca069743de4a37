package vmd.vm.boot;

import static vmd.vm.boot.MemoryMap.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import vmd.memory.GuestMemory;

/**
 * Firmware boot with a legacy BIOS image such as SeaBIOS (Debian's {@code seabios} package:
 * {@code /usr/share/seabios/bios-256k.bin}, or the 128 KiB {@code bios.bin}).
 *
 * <p>The machine maps the whole image read-only at 4 GiB minus its size ({@link #flashAddress},
 * a separate KVM_MEM_READONLY slot outside guest RAM, so writes there exit as MMIO and are
 * dropped). The vCPU starts from the architectural reset state at F000:FFF0, i.e. the flash's
 * last 16 bytes. SeaBIOS then copies itself into the legacy area 0xE0000-0xFFFFF and expects
 * it to be writable RAM there (on QEMU it opens the i440FX PAM registers); we have no PAM, so
 * {@link #load} puts the image's last 128 KiB into RAM at 0xE0000 up front: the copy reads
 * exactly what is already there and later writes just work.
 *
 * <p>In firmware mode no ACPI or MP tables of ours are written: SeaBIOS builds its own MP
 * table, and without fw_cfg "etc/table-loader" its own ACPI tables (or none). It learns the
 * RAM size from the CMOS (filled in by {@link vmd.vm.devices.CmosRtc}), and the vCPU count from CMOS 0x5F;
 * with no fw_cfg it reserves KVM's TSS/identity pages (0xFFFBC000, 4 pages) itself and its
 * 256 KiB at 0xFFFC0000.
 */
public final class Firmware {
    public static final List<Path> SEABIOS_PATHS = List.of(Path.of("/usr/share/seabios/bios-256k.bin"),
            Path.of("/usr/share/seabios/bios.bin"));
    public static final int GRANULE = 64 * 1024;
    /**
     * Largest flash image: 256 KiB, so [4 GiB - size, 4 GiB) stays clear of KVM's TSS pages at
     * 0xFFFBD000-0xFFFBFFFF (and SeaBIOS reserves exactly 0xFFFC0000 + 256 KiB).
     */
    public static final int MAX_SIZE = 256 * 1024;
    /** The legacy BIOS window a flash image is also copied into: its last 128 KiB at 0xE0000. */
    public static final int LEGACY_SIZE = (int) (BIOS_AREA_END - BIOS_AREA_START);

    private final byte[] image;

    private Firmware(byte[] image) {
        this.image = image;
    }

    public static Firmware parse(byte[] image) {
        if (image.length == 0 || image.length % GRANULE != 0) {
            throw new BootException("firmware image of " + image.length + " bytes is not a multiple of 64 KiB");
        }
        if (image.length > MAX_SIZE) {
            throw new BootException("firmware image of " + image.length / 1024 + " KiB is larger than the 256 KiB flash window");
        }
        return new Firmware(image);
    }

    /** The first SeaBIOS image installed on this host, if any. */
    public static java.util.Optional<Path> findSeaBios() {
        return SEABIOS_PATHS.stream().filter(Files::isReadable).findFirst();
    }

    public static Firmware read(Path path) throws IOException {
        return parse(Files.readAllBytes(path));
    }

    /** The flash contents, to map read-only at {@link #flashAddress()}. */
    public byte[] image() {
        return image.clone();
    }

    public int size() {
        return image.length;
    }

    /** Guest-physical address of the flash mapping: 4 GiB minus the image size. */
    public long flashAddress() {
        return FLASH_END - image.length;
    }

    /** The image's last 128 KiB (the whole image, right-aligned, if it is smaller). */
    public byte[] legacyWindow() {
        int n = Math.min(image.length, LEGACY_SIZE);
        return Arrays.copyOfRange(image, image.length - n, image.length);
    }

    /**
     * Copies the legacy window into RAM so it ends at 1 MiB (0xE0000-0xFFFFF for a 128 KiB or
     * larger image) and returns the marker for "leave the vCPU in its reset state".
     */
    public VcpuSetup load(GuestMemory mem) {
        byte[] window = legacyWindow();
        mem.write(BIOS_AREA_END - window.length, window);
        return VcpuSetup.ARCHITECTURAL_RESET;
    }
}

package vmd.vm.boot;

import java.util.Optional;
import vmd.memory.GuestMemory;

/**
 * The boot protocol in one place: decides what a boot image is from its content and turns
 * (image, RAM size, vCPU count, command line, initrd) into bytes in guest memory plus what
 * the machine must do before the first KVM_RUN ({@link Plan}). It never calls KVM.
 *
 * <ul>
 * <li>bzImage (setup header "HdrS" / 0xAA55): Linux 64-bit boot protocol, ACPI + MP tables.
 * <li>ELF (0x7F "ELF") with a PVH note: PVH entry, ACPI + MP tables.
 * <li>otherwise a multiple of 64 KiB: a BIOS flash image (SeaBIOS); no tables of ours.
 * </ul>
 */
public final class BootImage {
    private BootImage() {}

    public enum Kind { BZIMAGE, PVH_ELF, FIRMWARE }

    /**
     * What the machine applies: {@code bsp} for the boot vCPU, and for firmware the flash to
     * map read-only at {@code flash.flashAddress()}. Absent parts do not apply to this kind.
     */
    public record Plan(Kind kind, VcpuSetup bsp, Optional<Firmware> flash, Optional<AcpiTables.Layout> acpi,
                       Optional<MpTable.Layout> mpTable, Optional<LinuxBoot.Result> linux, Optional<PvhBoot.Result> pvh) {}

    public static Kind detect(byte[] image) {
        if (BzImage.looksLikeBzImage(image)) return Kind.BZIMAGE;
        if (PvhBoot.looksLikeElf(image)) return Kind.PVH_ELF;
        if (image.length > 0 && image.length % Firmware.GRANULE == 0) return Kind.FIRMWARE;
        throw new BootException("unrecognised boot image of " + image.length
                + " bytes: not a Linux bzImage, not an ELF kernel, and not a BIOS image (a multiple of 64 KiB)");
    }

    /**
     * What {@link #load} would plan, without touching guest memory: for a VM restored from
     * a snapshot, whose memory comes from the stream. Only the kind and the flash apply.
     */
    public static Plan planOnly(byte[] image) {
        Kind kind = detect(image);
        Optional<Firmware> flash = kind == Kind.FIRMWARE ? Optional.of(Firmware.parse(image)) : Optional.empty();
        return new Plan(kind, null, flash, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * Validates everything first, then writes guest memory. {@code mem} must hold the RAM of
     * {@link MemoryMap#ramRegions(long)}; {@code cmdline} is passed through as given (callers
     * substitute {@link LinuxBoot#DEFAULT_CMDLINE}) and is ignored for firmware, which takes
     * no initrd.
     */
    public static Plan load(GuestMemory mem, byte[] image, long ramSize, int cpus, String cmdline, byte[] initrd) {
        AcpiTables.checkCpus(cpus);
        MemoryMap.checkRamSize(ramSize);
        switch (detect(image)) {
            case BZIMAGE: {
                BzImage k = BzImage.parse(image);
                LinuxBoot.Result r = LinuxBoot.load(mem, ramSize, k, cmdline, initrd, MemoryMap.RSDP_ADDRESS);
                AcpiTables.Layout acpi = AcpiTables.write(mem, cpus);
                MpTable.Layout mp = MpTable.write(mem, cpus);
                return new Plan(Kind.BZIMAGE, r.cpu(), Optional.empty(), Optional.of(acpi), Optional.of(mp),
                        Optional.of(r), Optional.empty());
            }
            case PVH_ELF: {
                PvhBoot.Elf elf = PvhBoot.parse(image);
                PvhBoot.Result r = PvhBoot.load(mem, ramSize, image, elf, cmdline, initrd, MemoryMap.RSDP_ADDRESS);
                AcpiTables.Layout acpi = AcpiTables.write(mem, cpus);
                MpTable.Layout mp = MpTable.write(mem, cpus);
                return new Plan(Kind.PVH_ELF, r.cpu(), Optional.empty(), Optional.of(acpi), Optional.of(mp),
                        Optional.empty(), Optional.of(r));
            }
            default: {
                Firmware fw = Firmware.parse(image);
                if (initrd != null && initrd.length > 0) throw new BootException("an initrd needs a kernel image, not firmware");
                VcpuSetup bsp = fw.load(mem);
                return new Plan(Kind.FIRMWARE, bsp, Optional.of(fw), Optional.empty(), Optional.empty(),
                        Optional.empty(), Optional.empty());
            }
        }
    }
}

package vmd.vm.boot;

import static vmd.vm.boot.MemoryMap.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import vmd.memory.GuestMemory;

/**
 * Direct boot of a bzImage through the Linux 64-bit boot protocol: the protected-mode
 * kernel at 1 MiB, the zero page (boot_params) at 0x7000 with the image's setup header,
 * e820 map, command line and initrd, identity page tables, GDT, and the long-mode state
 * with RIP = kernel + 0x200 and RSI = boot_params.
 *
 * <p>The kernel is always loaded at 1 MiB, as QEMU and Firecracker do: a relocatable
 * kernel aligns itself up to kernel_alignment (and never below pref_address, its
 * LOAD_PHYSICAL_ADDR) before decompressing; a non-relocatable one moves itself to
 * pref_address. Either way it needs RAM for [run address, run address + init_size), which
 * is what {@link #kernelRamEnd} checks.
 */
public final class LinuxBoot {
    private LinuxBoot() {}

    /** The command line to pass when the configuration gives none. */
    public static final String DEFAULT_CMDLINE = "console=ttyS0";
    public static final int TYPE_OF_LOADER_UNDEFINED = 0xFF;
    /** The 64-bit entry point is this far into the protected-mode kernel. */
    public static final long ENTRY_64_OFFSET = 0x200;
    public static final long PAGE = 4096;

    // boot_params offsets outside the setup header.
    static final int BP_ACPI_RSDP_ADDR = 0x070, BP_EXT_RAMDISK_IMAGE = 0x0C0, BP_EXT_RAMDISK_SIZE = 0x0C4,
            BP_EXT_CMD_LINE_PTR = 0x0C8, BP_E820_ENTRIES = 0x1E8, BP_SENTINEL = 0x1EF, BP_E820_TABLE = 0x2D0;
    public static final int E820_MAX_ENTRIES = 128;
    public static final int ZERO_PAGE_SIZE = 4096;

    /** Where everything went; {@code cpu} is the boot vCPU's state. */
    public record Result(BzImage image, long kernelAddress, long kernelSize, long kernelRamEnd,
                         long cmdlineAddress, int cmdlineLength, long initrdAddress, long initrdSize,
                         List<E820Entry> e820, CpuState cpu) {}

    /**
     * Lays out {@code image} in {@code mem} (whose RAM follows {@link MemoryMap#ramRegions}).
     *
     * @param cmdline the kernel command line (the caller substitutes {@link #DEFAULT_CMDLINE})
     * @param initrd the initial ramdisk, or null / empty for none
     * @param rsdpAddress the ACPI RSDP for boot_params.acpi_rsdp_addr, or 0 to let the kernel scan
     */
    public static Result load(GuestMemory mem, long ramSize, BzImage image, String cmdline, byte[] initrd, long rsdpAddress) {
        checkRamSize(ramSize);
        long lowEnd = lowRamEnd(ramSize);
        byte[] kernel = image.protectedModeKernel();
        long kernelEnd = kernelRamEnd(image, kernel.length);
        if (kernelEnd > lowEnd) {
            throw new BootException(String.format(
                    "kernel does not fit in guest RAM: it needs memory up to 0x%x (%d MiB, init_size 0x%x), the guest has %d MiB",
                    kernelEnd, ceilMib(kernelEnd), image.initSize(), lowEnd / MIB));
        }

        byte[] cmd = cmdlineBytes(cmdline, image);
        long initrdSize = initrd == null ? 0 : initrd.length;
        long initrdAddress = initrdSize == 0 ? 0 : placeInitrd(image, initrdSize, kernelEnd, lowEnd);

        // Everything validated: now write guest memory.
        mem.write(KERNEL_ADDRESS, kernel);
        mem.write(CMDLINE_ADDRESS, cmd);
        if (initrdSize > 0) mem.write(initrdAddress, initrd);

        List<E820Entry> e820 = MemoryMap.e820(ramSize);
        writeZeroPage(mem, image, cmd.length - 1, initrdAddress, initrdSize, e820, rsdpAddress);
        CpuState cpu = CpuSetup.longMode(mem, KERNEL_ADDRESS + ENTRY_64_OFFSET, ZERO_PAGE_ADDRESS);
        return new Result(image, KERNEL_ADDRESS, kernel.length, kernelEnd, CMDLINE_ADDRESS, cmd.length - 1,
                initrdAddress, initrdSize, e820, cpu);
    }

    /** The end of the RAM the kernel occupies, loaded at 1 MiB and then while it decompresses and runs. */
    static long kernelRamEnd(BzImage image, long kernelSize) {
        long loadEnd = KERNEL_ADDRESS + kernelSize;
        long runAddress;
        if (image.relocatable()) {
            long align = Math.max(image.kernelAlignment(), PAGE);
            runAddress = Math.max(alignUp(KERNEL_ADDRESS, align), image.prefAddress());
        } else {
            runAddress = image.prefAddress() != 0 ? image.prefAddress() : KERNEL_ADDRESS;
        }
        return Math.max(loadEnd, runAddress + image.initSize());
    }

    static byte[] cmdlineBytes(String cmdline, BzImage image) {
        String c = cmdline == null ? "" : cmdline;
        if (c.indexOf('\0') >= 0) throw new BootException("kernel command line contains a NUL character");
        byte[] text = c.getBytes(StandardCharsets.UTF_8);
        long max = Math.min(image.cmdlineSize(), CMDLINE_MAX);
        if (text.length > max) {
            throw new BootException("kernel command line is " + text.length + " bytes long; this kernel accepts at most " + max);
        }
        byte[] out = new byte[text.length + 1];
        System.arraycopy(text, 0, out, 0, text.length);
        return out;
    }

    /** The highest page-aligned address below min(initrd_addr_max + 1, low RAM end) that holds the initrd. */
    static long placeInitrd(BzImage image, long size, long kernelEnd, long lowEnd) {
        long limit = Math.min(image.initrdAddrMax() + 1, lowEnd);
        long address = (limit - size) & ~(PAGE - 1);
        if (size > limit || address < alignUp(kernelEnd, PAGE)) {
            throw new BootException(String.format(
                    "initrd of %d bytes does not fit in guest RAM: only %d bytes are free between the kernel (ends 0x%x) and 0x%x",
                    size, Math.max(0, (limit & ~(PAGE - 1)) - alignUp(kernelEnd, PAGE)), kernelEnd, limit));
        }
        return address;
    }

    static void writeZeroPage(GuestMemory mem, BzImage image, int cmdlineLength, long initrdAddress, long initrdSize,
                              List<E820Entry> e820, long rsdpAddress) {
        if (e820.size() > E820_MAX_ENTRIES) throw new BootException("e820 map has more than 128 entries");
        long zp = ZERO_PAGE_ADDRESS;
        mem.write(zp, new byte[ZERO_PAGE_SIZE]);
        mem.write(zp + BzImage.HEADER_OFFSET, image.setupHeader());
        mem.putByte(zp + BzImage.OFF_TYPE_OF_LOADER, (byte) TYPE_OF_LOADER_UNDEFINED);
        mem.putInt(zp + BzImage.OFF_CMD_LINE_PTR, (int) CMDLINE_ADDRESS);
        mem.putInt(zp + BP_EXT_CMD_LINE_PTR, (int) (CMDLINE_ADDRESS >>> 32));
        mem.putInt(zp + BzImage.OFF_RAMDISK_IMAGE, (int) initrdAddress);
        mem.putInt(zp + BzImage.OFF_RAMDISK_SIZE, (int) initrdSize);
        mem.putInt(zp + BP_EXT_RAMDISK_IMAGE, (int) (initrdAddress >>> 32));
        mem.putInt(zp + BP_EXT_RAMDISK_SIZE, (int) (initrdSize >>> 32));
        mem.putLong(zp + BP_ACPI_RSDP_ADDR, rsdpAddress);
        mem.putByte(zp + BP_SENTINEL, (byte) 0);
        mem.putByte(zp + BP_E820_ENTRIES, (byte) e820.size());
        for (int i = 0; i < e820.size(); i++) {
            E820Entry e = e820.get(i);
            long at = zp + BP_E820_TABLE + (long) i * E820Entry.ZERO_PAGE_SIZE;
            mem.putLong(at, e.address());
            mem.putLong(at + 8, e.size());
            mem.putInt(at + 16, e.type());
        }
    }

    static long alignUp(long v, long align) {
        return (v + align - 1) & -align;
    }

    private static long ceilMib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }
}

package vmd.vm.pci;

/**
 * The host bridge at 00.0, presented as QEMU's i440FX northbridge (8086:1237) with
 * QEMU's subsystem ids (1af4:1100): SeaBIOS's qemu_detect() (src/fw/paravirt.c)
 * recognises a QEMU machine by exactly that subsystem pair on 00.0 and then runs its
 * i440FX platform setup. The PAM registers (0x59-0x5f) and SMRAM (0x72) are plain
 * read/write storage so firmware can program them; they do not change the memory map.
 */
public final class PciHostBridge extends PciDevice {
    public static final int VENDOR_INTEL = 0x8086, DEVICE_I440FX = 0x1237;
    public static final int SUBSYSTEM_VENDOR_QEMU = 0x1af4, SUBSYSTEM_QEMU = 0x1100;
    public static final int PAM0 = 0x59, SMRAM = 0x72;

    public PciHostBridge() {
        super(VENDOR_INTEL, DEVICE_I440FX, 0x060000, 0x02, SUBSYSTEM_VENDOR_QEMU, SUBSYSTEM_QEMU);
        setWritable(PAM0, 7, 0xff_ffff_ffff_ffffL);
        setWritable(SMRAM, 1, 0xff);
        put16(COMMAND, COMMAND_IO | COMMAND_MEMORY);
    }
}

package vmd.virtio;

/** Virtio device type ids (virtio 1.2 section 5) and the PCI ids derived from them (4.1.2). */
public final class VirtioIds {
    private VirtioIds() {}

    public static final int NET = 1;
    public static final int BLOCK = 2;
    public static final int CONSOLE = 3;
    public static final int RNG = 4;

    /** Red Hat / Qumranet, the virtio PCI vendor. */
    public static final int PCI_VENDOR = 0x1af4;
    /** Non-transitional (modern-only) devices use 0x1040 + device type. */
    public static final int PCI_DEVICE_BASE = 0x1040;

    public static int pciDeviceId(int deviceType) {
        return PCI_DEVICE_BASE + deviceType;
    }

    public static String name(int deviceType) {
        switch (deviceType) {
            case NET: return "net";
            case BLOCK: return "blk";
            case CONSOLE: return "console";
            case RNG: return "rng";
            default: return "type" + deviceType;
        }
    }
}

package vmd.virtio;

/**
 * Feature bits (virtio 1.2 section 6, "Reserved Feature Bits") and helpers. Bits 0-23
 * belong to the device type, 24-40 to the queue and transport.
 */
public final class VirtioFeatures {
    private VirtioFeatures() {}

    /** Descriptors may point to indirect descriptor tables (2.7.5.3). */
    public static final int RING_INDIRECT_DESC = 28;
    /** used_event / avail_event notification suppression (2.7.7, 2.7.10). */
    public static final int RING_EVENT_IDX = 29;
    /** A non-legacy (virtio 1.x) device. */
    public static final int VERSION_1 = 32;
    /** The device is behind an IOMMU: buffer addresses are not guest-physical. */
    public static final int ACCESS_PLATFORM = 33;
    public static final int RING_PACKED = 34;
    public static final int IN_ORDER = 35;
    public static final int ORDER_PLATFORM = 36;
    public static final int SR_IOV = 37;
    public static final int NOTIFICATION_DATA = 38;
    public static final int NOTIF_CONFIG_DATA = 39;
    public static final int RING_RESET = 40;

    /** The legacy "any layout" bit; implied by VERSION_1. */
    public static final int ANY_LAYOUT = 27;

    /** vhost-user's "protocol features supported" bit, carried in GET_FEATURES; never shown to a guest. */
    public static final int VHOST_USER_F_PROTOCOL_FEATURES = 30;

    /** Mask of the device-type-specific bits 0-23. */
    public static final long DEVICE_SPECIFIC_MASK = (1L << 24) - 1;

    public static long bit(int feature) {
        return 1L << feature;
    }

    public static boolean has(long features, int feature) {
        return (features & bit(feature)) != 0;
    }
}

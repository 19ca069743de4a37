package vmd.virtio;

/** device_status bits (virtio 1.2 section 2.1). Writing 0 resets the device. */
public final class VirtioStatus {
    private VirtioStatus() {}

    public static final int ACKNOWLEDGE = 0x01;
    public static final int DRIVER = 0x02;
    public static final int DRIVER_OK = 0x04;
    public static final int FEATURES_OK = 0x08;
    public static final int DEVICE_NEEDS_RESET = 0x40;
    public static final int FAILED = 0x80;

    public static String describe(int status) {
        if (status == 0) return "RESET";
        StringBuilder sb = new StringBuilder();
        String[] names = {"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "0x10", "0x20", "DEVICE_NEEDS_RESET", "FAILED"};
        for (int i = 0; i < 8; i++) {
            if ((status & (1 << i)) != 0) sb.append(sb.length() == 0 ? "" : "|").append(names[i]);
        }
        return sb.toString();
    }
}

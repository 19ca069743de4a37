package vmd.parent.config;

import java.util.Locale;

/**
 * Disk image format. {@code AUTO} means the file did not say: the image is
 * probed when it is opened (qcow2 magic, otherwise raw), as OpenBSD's vmd does.
 */
public enum DiskFormat {
    AUTO, RAW, QCOW2;

    /** OpenBSD's parse_format(): case-insensitive "raw" or "qcow2", else null. */
    public static DiskFormat parse(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "raw" -> RAW;
            case "qcow2" -> QCOW2;
            default -> null;
        };
    }
}

package vmd.parent.config;

/** {@code boot device disk|cdrom|net}. */
public enum BootDevice {
    DISK, CDROM, NET;

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

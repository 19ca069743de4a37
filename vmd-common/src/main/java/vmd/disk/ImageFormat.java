package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;

/** The image formats vmd serves, and detection by content (qcow2 magic "QFI\xfb", else raw). */
public enum ImageFormat {
    RAW("raw"),
    QCOW2("qcow2");

    public static final int QCOW2_MAGIC = 0x514649fb;

    private final String label;

    ImageFormat(String label) {
        this.label = label;
    }

    /** The name QEMU and vm.conf use: "raw", "qcow2". */
    public String label() {
        return label;
    }

    /** Parses a format name as written in vm.conf, vmctl or a qcow2 backing-format extension. */
    public static ImageFormat parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (ImageFormat f : values()) if (f.label.equals(n)) return f;
        throw new IllegalArgumentException("unsupported image format " + name);
    }

    /** Looks at the first bytes of the file. */
    public static ImageFormat detect(ImageFile file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4);
        if (file.readUpTo(b, 0) == 4 && b.getInt(0) == QCOW2_MAGIC) return QCOW2;
        return RAW;
    }

    @Override
    public String toString() {
        return label;
    }
}

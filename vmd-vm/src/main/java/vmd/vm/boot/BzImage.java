package vmd.vm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A Linux bzImage: the real-mode setup sectors (with the setup header at 0x1f1) followed by
 * the protected-mode kernel. Parses and validates the header for the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): boot protocol 2.12 or later, XLF_KERNEL_64, LOADED_HIGH.
 */
public final class BzImage {
    public static final int HEADER_OFFSET = 0x1F1;
    public static final int BOOT_FLAG = 0xAA55;
    /** "HdrS" read little-endian. */
    public static final int HDRS_MAGIC = 0x5372_6448;
    public static final int MIN_VERSION = 0x020C;

    public static final int LOADED_HIGH = 1, KASLR_FLAG = 1 << 1, KEEP_SEGMENTS = 1 << 6, CAN_USE_HEAP = 1 << 7;
    public static final int XLF_KERNEL_64 = 1, XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;

    // Offsets in the image (equal to the offsets in boot_params).
    static final int OFF_SETUP_SECTS = 0x1F1, OFF_SYSSIZE = 0x1F4, OFF_BOOT_FLAG = 0x1FE, OFF_JUMP = 0x200,
            OFF_HEADER = 0x202, OFF_VERSION = 0x206, OFF_TYPE_OF_LOADER = 0x210, OFF_LOADFLAGS = 0x211,
            OFF_CODE32_START = 0x214, OFF_RAMDISK_IMAGE = 0x218, OFF_RAMDISK_SIZE = 0x21C,
            OFF_HEAP_END_PTR = 0x224, OFF_CMD_LINE_PTR = 0x228, OFF_INITRD_ADDR_MAX = 0x22C,
            OFF_KERNEL_ALIGNMENT = 0x230, OFF_RELOCATABLE = 0x234, OFF_MIN_ALIGNMENT = 0x235,
            OFF_XLOADFLAGS = 0x236, OFF_CMDLINE_SIZE = 0x238, OFF_PREF_ADDRESS = 0x258, OFF_INIT_SIZE = 0x260;
    /** The last header field we read (init_size) ends here; every 2.12+ header reaches it. */
    static final int MIN_HEADER_END = 0x264;

    private final byte[] image;
    private final int setupSects;
    private final long syssize;
    private final int version;
    private final int loadflags;
    private final int xloadflags;
    private final long kernelAlignment;
    private final boolean relocatable;
    private final long prefAddress;
    private final long initSize;
    private final long cmdlineSize;
    private final long initrdAddrMax;
    private final int headerEnd;

    private BzImage(byte[] image) {
        this.image = image;
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int sects = b.get(OFF_SETUP_SECTS) & 0xFF;
        this.setupSects = sects == 0 ? 4 : sects;
        this.syssize = Integer.toUnsignedLong(b.getInt(OFF_SYSSIZE));
        this.version = b.getShort(OFF_VERSION) & 0xFFFF;
        this.loadflags = b.get(OFF_LOADFLAGS) & 0xFF;
        this.xloadflags = b.getShort(OFF_XLOADFLAGS) & 0xFFFF;
        this.kernelAlignment = Integer.toUnsignedLong(b.getInt(OFF_KERNEL_ALIGNMENT));
        this.relocatable = b.get(OFF_RELOCATABLE) != 0;
        this.prefAddress = b.getLong(OFF_PREF_ADDRESS);
        this.initSize = Integer.toUnsignedLong(b.getInt(OFF_INIT_SIZE));
        this.cmdlineSize = Integer.toUnsignedLong(b.getInt(OFF_CMDLINE_SIZE));
        this.initrdAddrMax = Integer.toUnsignedLong(b.getInt(OFF_INITRD_ADDR_MAX));
        // boot.rst: the header ends at 0x202 + the byte at 0x201 (the short jump's displacement).
        this.headerEnd = 0x202 + (b.get(OFF_JUMP + 1) & 0xFF);
    }

    /** True if the bytes carry the setup header magic (boot_flag 0xAA55 and "HdrS"). */
    public static boolean looksLikeBzImage(byte[] image) {
        if (image.length < OFF_HEADER + 4) return false;
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        return (b.getShort(OFF_BOOT_FLAG) & 0xFFFF) == BOOT_FLAG && b.getInt(OFF_HEADER) == HDRS_MAGIC;
    }

    /** Parses and validates a bzImage for the 64-bit boot protocol. */
    public static BzImage parse(byte[] image) {
        if (!looksLikeBzImage(image)) {
            throw new BootException("not a bzImage: no Linux setup header (boot flag 0xAA55 and \"HdrS\" magic)");
        }
        if (image.length < MIN_HEADER_END) {
            throw new BootException("bzImage truncated: " + image.length + " bytes, the setup header alone needs " + MIN_HEADER_END);
        }
        BzImage k = new BzImage(image);
        if (k.version < MIN_VERSION) {
            throw new BootException(String.format("bzImage boot protocol %d.%02d is too old: 64-bit boot needs 2.12 or later",
                    k.version >> 8, k.version & 0xFF));
        }
        if ((k.xloadflags & XLF_KERNEL_64) == 0) {
            throw new BootException("bzImage does not support the 64-bit entry point (XLF_KERNEL_64 not set in xloadflags)");
        }
        if ((k.loadflags & LOADED_HIGH) == 0) {
            throw new BootException("bzImage is not loadable at 1 MiB (LOADED_HIGH not set: a zImage)");
        }
        if (k.relocatable && Long.bitCount(k.kernelAlignment) != 1) {
            throw new BootException(String.format("bzImage has a bad kernel_alignment 0x%x (not a power of two)", k.kernelAlignment));
        }
        if (k.headerEnd < MIN_HEADER_END || k.headerEnd > 0x290) {
            throw new BootException(String.format("bzImage setup header has a bad length (ends at 0x%x)", k.headerEnd));
        }
        long setupBytes = k.setupSize();
        long kernelBytes = k.syssize * 16;
        if (kernelBytes == 0) throw new BootException("bzImage has no protected-mode kernel (syssize 0)");
        if (setupBytes + kernelBytes > image.length) {
            throw new BootException("bzImage truncated: " + image.length + " bytes, the header promises "
                    + (setupBytes + kernelBytes) + " (" + setupBytes + " setup + " + kernelBytes + " kernel)");
        }
        return k;
    }

    /** Bytes of real-mode setup code before the protected-mode kernel: (setup_sects + 1) * 512. */
    public long setupSize() {
        return (setupSects + 1L) * 512;
    }

    /** The protected-mode kernel: everything after the setup sectors (at least syssize * 16 bytes). */
    public byte[] protectedModeKernel() {
        int from = (int) setupSize();
        return java.util.Arrays.copyOfRange(image, from, image.length);
    }

    /** Bytes 0x1f1 up to the end of the setup header, to copy into boot_params at the same offset. */
    public byte[] setupHeader() {
        return java.util.Arrays.copyOfRange(image, HEADER_OFFSET, headerEnd);
    }

    public int setupSects() { return setupSects; }
    public long syssize() { return syssize; }
    public int version() { return version; }
    public int loadflags() { return loadflags; }
    public int xloadflags() { return xloadflags; }
    public long kernelAlignment() { return kernelAlignment; }
    public boolean relocatable() { return relocatable; }
    public long prefAddress() { return prefAddress; }
    /** Bytes the kernel needs, from its (aligned) run address, to decompress and initialise itself. */
    public long initSize() { return initSize; }
    /** Longest command line the kernel takes, not counting the terminating NUL. */
    public long cmdlineSize() { return cmdlineSize; }
    /** Highest address the initrd's last byte may occupy. */
    public long initrdAddrMax() { return initrdAddrMax; }
    public boolean canBeLoadedAbove4G() { return (xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G) != 0; }
    public int headerEnd() { return headerEnd; }

    @Override
    public String toString() {
        return String.format("bzImage protocol %d.%02d setup_sects=%d syssize=0x%x pref_address=0x%x init_size=0x%x "
                        + "relocatable=%b align=0x%x cmdline_size=%d initrd_addr_max=0x%x xloadflags=0x%x",
                version >> 8, version & 0xFF, setupSects, syssize, prefAddress, initSize, relocatable, kernelAlignment,
                cmdlineSize, initrdAddrMax, xloadflags);
    }
}

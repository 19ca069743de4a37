package vmd.vm.boot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small builder for ACPI Machine Language (ACPI 6.x, chapter 20), enough for a DSDT of
 * static objects: scopes, devices, names, integers, strings, EISA ids, packages, buffers and
 * resource templates. Each method returns the encoded bytes of one term.
 */
public final class Aml {
    private Aml() {}

    // Opcodes (ACPI 6.4 section 20.3).
    static final int ZERO_OP = 0x00, ONE_OP = 0x01, NAME_OP = 0x08, BYTE_PREFIX = 0x0A, WORD_PREFIX = 0x0B,
            DWORD_PREFIX = 0x0C, STRING_PREFIX = 0x0D, QWORD_PREFIX = 0x0E, SCOPE_OP = 0x10, BUFFER_OP = 0x11,
            PACKAGE_OP = 0x12, EXT_OP_PREFIX = 0x5B, DEVICE_OP = 0x82, DUAL_NAME_PREFIX = 0x2E,
            MULTI_NAME_PREFIX = 0x2F, ROOT_CHAR = 0x5C, PARENT_PREFIX_CHAR = 0x5E;

    /** Scope (name) { terms }. */
    public static byte[] scope(String name, byte[]... terms) {
        return withPkgLength(new byte[] {(byte) SCOPE_OP}, concat(nameString(name), concat(terms)));
    }

    /** Device (name) { terms }. */
    public static byte[] device(String name, byte[]... terms) {
        return withPkgLength(new byte[] {(byte) EXT_OP_PREFIX, (byte) DEVICE_OP}, concat(nameString(name), concat(terms)));
    }

    /** Name (name, value). */
    public static byte[] name(String name, byte[] value) {
        return concat(new byte[] {(byte) NAME_OP}, nameString(name), value);
    }

    /** An integer constant in the shortest encoding (ZeroOp, OneOp, Byte/Word/DWord/QWordConst). */
    public static byte[] integer(long v) {
        if (v == 0) return new byte[] {ZERO_OP};
        if (v == 1) return new byte[] {ONE_OP};
        if (v > 0 && v <= 0xFF) return new byte[] {BYTE_PREFIX, (byte) v};
        if (v > 0 && v <= 0xFFFF) return le(WORD_PREFIX, v, 2);
        if (v > 0 && v <= 0xFFFF_FFFFL) return le(DWORD_PREFIX, v, 4);
        return le(QWORD_PREFIX, v, 8);
    }

    /** A DWordConst even for small values (as iasl emits for _PRT addresses and EisaId). */
    public static byte[] dword(long v) {
        return le(DWORD_PREFIX, v, 4);
    }

    /** A null-terminated ASCII string. */
    public static byte[] string(String s) {
        byte[] text = s.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[text.length + 2];
        out[0] = STRING_PREFIX;
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }

    /** EisaId ("PNP0A03"): three letters of 5 bits each and four hex digits, as a DWordConst. */
    public static byte[] eisaId(String id) {
        if (id.length() != 7) throw new IllegalArgumentException("EISA id must be 7 characters: " + id);
        int c1 = id.charAt(0) - 0x40, c2 = id.charAt(1) - 0x40, c3 = id.charAt(2) - 0x40;
        for (int c : new int[] {c1, c2, c3}) {
            if (c < 1 || c > 26) throw new IllegalArgumentException("EISA id vendor must be 3 capital letters: " + id);
        }
        int product = Integer.parseInt(id.substring(3), 16);
        byte[] out = new byte[5];
        out[0] = DWORD_PREFIX;
        out[1] = (byte) ((c1 << 2) | (c2 >> 3));
        out[2] = (byte) (((c2 & 7) << 5) | c3);
        out[3] = (byte) (product >> 8);
        out[4] = (byte) product;
        return out;
    }

    /** Package () { elements } (at most 255 elements: DefPackage's NumElements is a byte). */
    public static byte[] pkg(byte[]... elements) {
        if (elements.length > 255) throw new IllegalArgumentException("package of " + elements.length + " elements needs VarPackage");
        return withPkgLength(new byte[] {PACKAGE_OP}, concat(new byte[] {(byte) elements.length}, concat(elements)));
    }

    /** Buffer () { bytes }. */
    public static byte[] buffer(byte[] bytes) {
        return withPkgLength(new byte[] {BUFFER_OP}, concat(integer(bytes.length), bytes));
    }

    /**
     * A NameString: optional leading '\' or '^'s, then dot-separated segments of up to four
     * characters (padded with '_').
     */
    public static byte[] nameString(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        if (path.startsWith("\\")) {
            out.write(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                out.write(PARENT_PREFIX_CHAR);
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.");
        if (segs.length == 0) {
            out.write(0); // NullName
        } else if (segs.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segs.length > 2) {
            out.write(MULTI_NAME_PREFIX);
            out.write(segs.length);
        }
        for (String s : segs) out.writeBytes(nameSeg(s));
        return out.toByteArray();
    }

    static byte[] nameSeg(String s) {
        if (s.isEmpty() || s.length() > 4) throw new IllegalArgumentException("bad AML name segment: '" + s + "'");
        byte[] seg = {'_', '_', '_', '_'};
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lead = c == '_' || (c >= 'A' && c <= 'Z');
            if (!(lead || (i > 0 && c >= '0' && c <= '9'))) throw new IllegalArgumentException("bad AML name segment: '" + s + "'");
            seg[i] = (byte) c;
        }
        return seg;
    }

    /**
     * PkgLength (20.2.4) counts itself and the body: one byte (6 bits) up to 63, else a lead
     * byte with the count of follow bytes in bits 7:6 and the low nibble in bits 3:0.
     */
    public static byte[] pkgLength(int bodyLength) {
        for (int n = 1; n <= 4; n++) {
            long total = (long) bodyLength + n;
            if (n == 1 && total <= 0x3F) return new byte[] {(byte) total};
            if (n > 1 && total < (1L << (4 + 8 * (n - 1)))) {
                byte[] out = new byte[n];
                out[0] = (byte) (((n - 1) << 6) | (total & 0xF));
                for (int k = 1; k < n; k++) out[k] = (byte) (total >>> (4 + 8 * (k - 1)));
                return out;
            }
        }
        throw new IllegalArgumentException("AML package too long: " + bodyLength);
    }

    static byte[] withPkgLength(byte[] op, byte[] body) {
        return concat(op, pkgLength(body.length), body);
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static byte[] le(int prefix, long v, int n) {
        byte[] out = new byte[n + 1];
        out[0] = (byte) prefix;
        for (int i = 0; i < n; i++) out[i + 1] = (byte) (v >>> (8 * i));
        return out;
    }

    /**
     * ResourceTemplate () { ... } (ACPI 6.4 section 6.4): descriptors in order, closed by the
     * End Tag whose checksum byte makes the whole template sum to zero.
     */
    public static final class Resources {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        // General flags of address space descriptors: producer, positive decode, min and max fixed.
        private static final int PRODUCER_FIXED = 0x0C;
        private static final int TYPE_MEMORY = 0, TYPE_IO = 1, TYPE_BUS = 2;

        /** IO (Decode16, min, max, alignment, length): the small I/O port descriptor. */
        public Resources io(int min, int max, int alignment, int length) {
            out.write(0x47);
            out.write(0x01); // decodes 16 address bits
            le16(min);
            le16(max);
            out.write(alignment);
            out.write(length);
            return this;
        }

        /** IRQNoFlags () {irq}: edge-triggered, active-high, exclusive ISA IRQ. */
        public Resources irqNoFlags(int irq) {
            out.write(0x22);
            le16(1 << irq);
            return this;
        }

        /** WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, len). */
        public Resources wordBusNumber(int min, int max) {
            return word(TYPE_BUS, 0, min, max);
        }

        /** WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len). */
        public Resources wordIo(int min, int max) {
            return word(TYPE_IO, 0x03, min, max);
        }

        /** DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, cacheable?, ReadWrite, 0, min, max, 0, len). */
        public Resources dwordMemory(long min, long max, boolean cacheable) {
            out.write(0x87);
            le16(23);
            out.write(TYPE_MEMORY);
            out.write(PRODUCER_FIXED);
            out.write(0x01 | (cacheable ? 0x02 : 0)); // _RW = ReadWrite, _MEM = Cacheable / NonCacheable
            le32(0);
            le32(min);
            le32(max);
            le32(0);
            le32(max - min + 1);
            return this;
        }

        private Resources word(int type, int typeFlags, int min, int max) {
            out.write(0x88);
            le16(13);
            out.write(type);
            out.write(PRODUCER_FIXED);
            out.write(typeFlags);
            le16(0);
            le16(min);
            le16(max);
            le16(0);
            le16(max - min + 1);
            return this;
        }

        /** The descriptors plus the End Tag, without the Buffer wrapper. */
        public byte[] bytes() {
            byte[] body = out.toByteArray();
            byte[] all = new byte[body.length + 2];
            System.arraycopy(body, 0, all, 0, body.length);
            all[body.length] = 0x79;
            int sum = 0;
            for (int i = 0; i <= body.length; i++) sum += all[i];
            all[body.length + 1] = (byte) -sum;
            return all;
        }

        /** The template as an AML Buffer object. */
        public byte[] build() {
            return buffer(bytes());
        }

        private void le16(long v) {
            out.write((int) v);
            out.write((int) (v >>> 8));
        }

        private void le32(long v) {
            le16(v);
            le16(v >>> 16);
        }
    }
}

package vmd.vm.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The snapshot stream, version 1 (documented in vmctl(8)). Little-endian throughout:
 *
 * <pre>
 *   header   magic "VMDSNAP\0" (8), u32 version, u32 section count N,
 *            then N table entries: u32 kind, u32 instance, u64 length
 *   sections in table order, each: u32 kind, u32 instance, u64 length, payload
 * </pre>
 *
 * A reader checks the magic and version before anything else, that every section
 * repeats its table entry, and that the table's lengths are within bounds, so a
 * stream from another version or a damaged file is refused with a reason before any
 * of it reaches the guest. Kinds a reader does not know are an error: they would hold
 * state it cannot restore.
 */
public final class SnapshotFormat {
    public static final byte[] MAGIC = {'V', 'M', 'D', 'S', 'N', 'A', 'P', 0};
    public static final int VERSION = 1;
    public static final int MAX_SECTIONS = 1024;
    /** Every section but guest memory is a register file or a device: far below this. */
    public static final long MAX_STATE_SECTION = 16L << 20;
    static final int TABLE_ENTRY = 16, SECTION_HEADER = 16, FIXED_HEADER = 16;

    /** What a section holds; the code is its wire value. */
    public enum Kind {
        /** The machine's shape: memory size, vCPUs, devices (checked against the receiving config). */
        MACHINE(1),
        /** One vCPU's CPUID table as the guest saw it (instance: vCPU id). */
        CPUID(2),
        /** One vCPU's KVM state (instance: vCPU id). */
        VCPU(3),
        /** The in-kernel PICs, IOAPIC, PIT and kvmclock. */
        CHIPS(4),
        /** One platform or PCI device (payload: its name, then its state). */
        DEVICE(5),
        /** Guest RAM: region layout, a bitmap of non-zero pages, those pages. */
        MEMORY(6);

        public final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind k : values()) if (k.code == code) return k;
            return null;
        }
    }

    public record Section(Kind kind, int instance, long length) {}

    private SnapshotFormat() {}

    static byte[] header(List<Section> table) {
        ByteBuffer b = ByteBuffer.allocate(FIXED_HEADER + TABLE_ENTRY * table.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(table.size());
        for (Section s : table) b.putInt(s.kind.code).putInt(s.instance).putLong(s.length);
        return b.array();
    }

    static byte[] sectionHeader(Section s) {
        return ByteBuffer.allocate(SECTION_HEADER).order(ByteOrder.LITTLE_ENDIAN).putInt(s.kind.code).putInt(s.instance)
                .putLong(s.length).array();
    }

    /** Reads and checks the header and its table. */
    static List<Section> readHeader(StreamFd in) {
        ByteBuffer fixed = ByteBuffer.wrap(in.read(FIXED_HEADER)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        fixed.get(magic);
        if (!Arrays.equals(magic, MAGIC)) throw new SnapshotException("not a vmd snapshot (bad magic)");
        int version = fixed.getInt();
        if (version != VERSION) {
            throw new SnapshotException("snapshot stream version " + Integer.toUnsignedString(version) + "; this vmd reads version " + VERSION);
        }
        int n = fixed.getInt();
        if (n < 1 || n > MAX_SECTIONS) throw new SnapshotException("snapshot has " + Integer.toUnsignedString(n) + " sections");
        ByteBuffer t = ByteBuffer.wrap(in.read(TABLE_ENTRY * n)).order(ByteOrder.LITTLE_ENDIAN);
        List<Section> table = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int code = t.getInt(), instance = t.getInt();
            long length = t.getLong();
            Kind k = Kind.of(code);
            if (k == null) throw new SnapshotException("snapshot section " + i + " has unknown kind " + code);
            if (length < 0 || (k != Kind.MEMORY && length > MAX_STATE_SECTION)) {
                throw new SnapshotException("snapshot section " + k + " " + instance + " claims " + Long.toUnsignedString(length) + " bytes");
            }
            table.add(new Section(k, instance, length));
        }
        return table;
    }

    /** Reads a section's own header and checks it repeats the table entry. */
    static void readSectionHeader(StreamFd in, Section expected) {
        ByteBuffer h = ByteBuffer.wrap(in.read(SECTION_HEADER)).order(ByteOrder.LITTLE_ENDIAN);
        int code = h.getInt(), instance = h.getInt();
        long length = h.getLong();
        if (code != expected.kind.code || instance != expected.instance || length != expected.length) {
            throw new SnapshotException("snapshot section " + expected.kind + " " + expected.instance + " does not match the section table");
        }
    }
}

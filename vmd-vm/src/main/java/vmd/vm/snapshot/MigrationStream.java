package vmd.vm.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The live-migration stream, version 1 (vmctl(8)): both directions of one socket.
 *
 * <pre>
 *   source: magic "VMDMIGR\0", u32 version
 *   then records, each a u32 tag:
 *     HELLO  a snapshot stream (SnapshotFormat) with the MACHINE and CPUID sections only
 *     PAGES  u64 guest address, u32 page count, then count * 4096 bytes
 *     STATE  a snapshot stream with every section but MEMORY (the pages went before)
 *     SYNC   nothing: the destination answers once it has taken every record before it
 *   destination: ACK records (u32 tag, u32 code, u32 length, message) after HELLO
 *     (0: this VM can take the stream) and after STATE (0: the guest runs here)
 * </pre>
 *
 * Pages may come any number of times; the last copy of a page wins.
 */
public final class MigrationStream {
    public static final byte[] MAGIC = {'V', 'M', 'D', 'M', 'I', 'G', 'R', 0};
    public static final int VERSION = 1;
    public static final int HELLO = 1, PAGES = 2, STATE = 3, ACK = 4, SYNC = 5;
    /** Pages in one PAGES record at most: 1 MiB. */
    public static final int MAX_RUN = vmd.memory.NonZeroPages.MAX_RUN;

    private MigrationStream() {}

    public static void writePreamble(StreamFd out) {
        out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC).putInt(VERSION).array());
    }

    /** After {@link #isMigration} matched the magic: the version. */
    public static void readVersion(StreamFd in) {
        int version = ByteBuffer.wrap(in.read(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (version != VERSION) {
            throw new SnapshotException("migration stream version " + Integer.toUnsignedString(version) + "; this vmd reads version " + VERSION);
        }
    }

    public static boolean isMigration(byte[] magic) {
        return Arrays.equals(magic, MAGIC);
    }

    public static void writeTag(StreamFd out, int tag) {
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(tag).array());
    }

    public static int readTag(StreamFd in) {
        return ByteBuffer.wrap(in.read(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** A PAGES record's header; the caller writes the pages. */
    public static void writePagesHeader(StreamFd out, long gpa, int pages) {
        out.write(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(PAGES).putLong(gpa).putInt(pages).array());
    }

    public static void writeAck(StreamFd out, int code, String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        if (m.length > 4096) m = Arrays.copyOf(m, 4096);
        out.write(ByteBuffer.allocate(12 + m.length).order(ByteOrder.LITTLE_ENDIAN).putInt(ACK).putInt(code).putInt(m.length)
                .put(m).array());
    }

    /** Waits for an ACK; a refusal becomes a SnapshotException with the destination's reason. */
    public static void expectAck(StreamFd in, String after) {
        int tag = readTag(in);
        if (tag != ACK) throw new SnapshotException("the destination sent record " + tag + " instead of its answer to " + after);
        ByteBuffer h = ByteBuffer.wrap(in.read(8)).order(ByteOrder.LITTLE_ENDIAN);
        int code = h.getInt(), length = h.getInt();
        if (length < 0 || length > 4096) throw new SnapshotException("the destination's answer is " + length + " bytes");
        String message = new String(in.read(length), StandardCharsets.UTF_8);
        if (code != 0) throw new SnapshotException("the destination refused the migration: " + message);
    }
}

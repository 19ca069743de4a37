package vmd.vm.snapshot;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link StateWriter} wrote. Every read is bounds-checked: a truncated or
 * inconsistent section is a {@link SnapshotException} naming the section, never an
 * out-of-range array.
 */
public final class StateReader {
    private final String section;
    private final ByteBuffer in;

    public StateReader(String section, byte[] payload) {
        this.section = section;
        this.in = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    }

    public String section() {
        return section;
    }

    private SnapshotException truncated() {
        return new SnapshotException("snapshot section " + section + " is truncated");
    }

    public int u8() {
        try {
            return in.get() & 0xff;
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    public boolean bool() {
        return u8() != 0;
    }

    public int u32() {
        try {
            return in.getInt();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    public long u64() {
        try {
            return in.getLong();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    /** A length-prefixed byte string of at most what is left. */
    public byte[] bytes() {
        int n = u32();
        if (n < 0 || n > in.remaining()) throw truncated();
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** A byte string that must be exactly {@code length} bytes (a fixed register file). */
    public byte[] bytes(int length) {
        byte[] b = bytes();
        if (b.length != length) throw new SnapshotException("snapshot section " + section + ": " + b.length + " bytes where " + length + " belong");
        return b;
    }

    public String string() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    public long[] longs(int expected) {
        int n = u32();
        if (n != expected) throw new SnapshotException("snapshot section " + section + ": " + n + " entries where " + expected + " belong");
        if ((long) n * 8 > in.remaining()) throw truncated();
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = in.getLong();
        return v;
    }

    public int[] ints(int expected) {
        int n = u32();
        if (n != expected) throw new SnapshotException("snapshot section " + section + ": " + n + " entries where " + expected + " belong");
        if ((long) n * 4 > in.remaining()) throw truncated();
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = in.getInt();
        return v;
    }

    /** A value that must lie in [min, max]. */
    public int u32(int min, int max, String what) {
        int v = u32();
        if (v < min || v > max) throw new SnapshotException("snapshot section " + section + ": " + what + " " + v + " out of range");
        return v;
    }

    /** Every byte was consumed: a longer section is from another layout. */
    public void end() {
        if (in.hasRemaining()) throw new SnapshotException("snapshot section " + section + " has " + in.remaining() + " unexpected bytes");
    }
}

package vmd.vm.snapshot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds one section's payload: little-endian integers, length-prefixed byte strings. */
public final class StateWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public StateWriter u8(int v) {
        out.write(v);
        return this;
    }

    public StateWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    public StateWriter u32(int v) {
        for (int i = 0; i < 4; i++) out.write(v >>> (8 * i));
        return this;
    }

    public StateWriter u64(long v) {
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    /** A u32 length, then the bytes. */
    public StateWriter bytes(byte[] b) {
        u32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    public StateWriter string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public StateWriter longs(long[] v) {
        u32(v.length);
        for (long x : v) u64(x);
        return this;
    }

    public StateWriter ints(int[] v) {
        u32(v.length);
        for (int x : v) u32(x);
        return this;
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}

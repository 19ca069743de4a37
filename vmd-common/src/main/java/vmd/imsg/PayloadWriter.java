package vmd.imsg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Builds a payload, little-endian. Strings are UTF-8 and byte arrays are raw, each after a
 * u32 length; lists are a u32 count and the elements. Values out of a field's range are a
 * programming error ({@link IllegalArgumentException}); the frame-size limit is checked when
 * the message is built.
 */
public final class PayloadWriter {
    private ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);

    public PayloadWriter u8(int v) {
        checkRange("u8", v, 0xff);
        room(1).put((byte) v);
        return this;
    }

    public PayloadWriter u16(int v) {
        checkRange("u16", v, 0xffff);
        room(2).putShort((short) v);
        return this;
    }

    public PayloadWriter u32(long v) {
        checkRange("u32", v, 0xffff_ffffL);
        room(4).putInt((int) v);
        return this;
    }

    /** A signed 32-bit value (pids, milliseconds, error codes), two's complement on the wire. */
    public PayloadWriter i32(int v) {
        room(4).putInt(v);
        return this;
    }

    /** All 64 bits; the reader returns them as a long. */
    public PayloadWriter u64(long v) {
        room(8).putLong(v);
        return this;
    }

    public PayloadWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    public PayloadWriter string(String s) {
        try {
            ByteBuffer utf8 = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            u32(utf8.remaining());
            room(utf8.remaining()).put(utf8);
            return this;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not encodable as UTF-8 (unpaired surrogate?)", e);
        }
    }

    public PayloadWriter bytes(byte[] b) {
        u32(b.length);
        room(b.length).put(b);
        return this;
    }

    /**
     * A u32 count, then each element. Every element must write at least one byte: the reader
     * bounds the count by the bytes left, so a hostile count cannot make it loop or allocate.
     */
    public <T> PayloadWriter list(List<T> items, BiConsumer<PayloadWriter, ? super T> element) {
        u32(items.size());
        for (T item : items) {
            int before = buf.position();
            element.accept(this, item);
            if (buf.position() == before) throw new IllegalArgumentException("list element wrote no bytes: " + item);
        }
        return this;
    }

    public int size() {
        return buf.position();
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf.array(), buf.position());
    }

    private ByteBuffer room(int n) {
        if (buf.remaining() < n) {
            int capacity = Math.max(buf.capacity() * 2, buf.position() + n);
            ByteBuffer bigger = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
        return buf;
    }

    private static void checkRange(String kind, long v, long max) {
        if (v < 0 || v > max) throw new IllegalArgumentException(kind + " value " + v + " out of range 0.." + max);
    }
}

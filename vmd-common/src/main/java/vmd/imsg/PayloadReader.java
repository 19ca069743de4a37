package vmd.imsg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads a payload written by {@link PayloadWriter}, checking every length against the bytes
 * left before using it: the payload comes from another process and may be hostile. Every
 * failure is an {@link ImsgProtocolException} that says what was wrong.
 */
public final class PayloadReader {
    private final ByteBuffer buf;

    public PayloadReader(ByteBuffer payload) {
        this.buf = payload.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    public PayloadReader(byte[] payload) {
        this(ByteBuffer.wrap(payload));
    }

    public int u8() {
        need(1, "u8");
        return Byte.toUnsignedInt(buf.get());
    }

    public int u16() {
        need(2, "u16");
        return Short.toUnsignedInt(buf.getShort());
    }

    public long u32() {
        need(4, "u32");
        return Integer.toUnsignedLong(buf.getInt());
    }

    public int i32() {
        need(4, "i32");
        return buf.getInt();
    }

    public long u64() {
        need(8, "u64");
        return buf.getLong();
    }

    public boolean bool() {
        int v = u8();
        if (v > 1) throw new ImsgProtocolException("bool value " + v + " is neither 0 nor 1");
        return v == 1;
    }

    public String string() {
        int n = length("string");
        ByteBuffer utf8 = buf.slice().limit(n);
        buf.position(buf.position() + n);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(utf8).toString();
        } catch (CharacterCodingException e) {
            throw new ImsgProtocolException("string of " + n + " bytes is not valid UTF-8");
        }
    }

    public byte[] bytes() {
        byte[] b = new byte[length("byte array")];
        buf.get(b);
        return b;
    }

    /** A u32 count, then that many elements; the list is unmodifiable. */
    public <T> List<T> list(PayloadDecoder<T> element) {
        long count = u32();
        // Each element is at least one byte (the writer enforces it), so this bounds the loop.
        if (count > buf.remaining()) {
            throw new ImsgProtocolException("list count " + count + " exceeds payload (" + buf.remaining() + " bytes left)");
        }
        List<T> items = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) items.add(element.decode(this));
        return Collections.unmodifiableList(items);
    }

    public int remaining() {
        return buf.remaining();
    }

    /** Rejects trailing bytes: a payload must be exactly what its codec reads. */
    public void finish() {
        if (buf.hasRemaining()) throw new ImsgProtocolException(buf.remaining() + " trailing bytes after payload");
    }

    private int length(String what) {
        long n = u32();
        if (n > buf.remaining()) {
            throw new ImsgProtocolException(what + " length " + n + " exceeds payload (" + buf.remaining() + " bytes left)");
        }
        return (int) n;
    }

    private void need(int n, String what) {
        if (buf.remaining() < n) {
            throw new ImsgProtocolException(what + " needs " + n + " bytes, payload has " + buf.remaining() + " left");
        }
    }
}

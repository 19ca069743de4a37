package vmd.imsg;

import java.util.Objects;

/** A free-text explanation: CHILD_EXITING's reason, VM_STARTED's summary. */
public record Reason(String text) implements ImsgPayload {
    /** Longest text {@link #of} keeps; reasons often come from exception messages of any size. */
    public static final int MAX_CHARS = 1024;

    public Reason {
        Objects.requireNonNull(text, "text");
    }

    /** A reason that is sure to fit in a frame: longer text is cut with "...". */
    public static Reason of(String text) {
        return new Reason(shorten(String.valueOf(text)));
    }

    /** {@code text}, or its first chars and "..." if it is longer than {@link #MAX_CHARS}. */
    static String shorten(String text) {
        if (text.length() <= MAX_CHARS) return text;
        int end = MAX_CHARS - 3;
        // Never keep half a surrogate pair: it could not be encoded as UTF-8.
        if (Character.isHighSurrogate(text.charAt(end - 1))) end--;
        return text.substring(0, end) + "...";
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(text);
    }

    public static Reason decode(PayloadReader in) {
        return new Reason(in.string());
    }
}

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
        String t = String.valueOf(text);
        return new Reason(t.length() <= MAX_CHARS ? t : t.substring(0, MAX_CHARS - 3) + "...");
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(text);
    }

    public static Reason decode(PayloadReader in) {
        return new Reason(in.string());
    }
}

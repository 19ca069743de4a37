package vmd.imsg;

import java.util.Objects;

/**
 * CTL_OK / CTL_FAIL: the outcome of a request. {@code code} is errno-like (0 for success, e.g.
 * EPERM, ENOENT, EBUSY on failure) so vmctl can print both a message and the classic reason.
 */
public record CtlResult(int code, String message) implements ImsgPayload {
    public CtlResult {
        if (code < 0) throw new IllegalArgumentException("result code must not be negative: " + code);
        Objects.requireNonNull(message, "message");
    }

    public static CtlResult ok() {
        return new CtlResult(0, "");
    }

    public static CtlResult fail(int code, String message) {
        return new CtlResult(code, message);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(code).string(message);
    }

    public static CtlResult decode(PayloadReader in) {
        return new CtlResult(in.i32(), in.string());
    }
}

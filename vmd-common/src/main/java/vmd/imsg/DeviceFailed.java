package vmd.imsg;

import java.util.Objects;

/** DEVICE_FAILED: which device (its vm-side label) is gone for good, and why. */
public record DeviceFailed(String label, String reason) implements ImsgPayload {
    public DeviceFailed {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(reason, "reason");
        if (label.isEmpty() || label.length() > 64) throw new IllegalArgumentException("device label must be 1-64 characters");
        reason = Reason.shorten(reason);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(label);
        out.string(reason);
    }

    public static DeviceFailed decode(PayloadReader in) {
        return new DeviceFailed(in.string(), in.string());
    }
}

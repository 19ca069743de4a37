package vmd.imsg;

import java.util.Objects;

/** CHILD_READY: a child process is up. {@code kind} is its role ("vm", "vioblk", "vionet", "control"). */
public record ChildReady(String kind, int pid) implements ImsgPayload {
    public ChildReady {
        Objects.requireNonNull(kind, "kind");
        if (kind.isEmpty() || kind.length() > 64) throw new IllegalArgumentException("process kind must be 1-64 characters: \"" + kind + "\"");
        if (pid <= 0) throw new IllegalArgumentException("pid must be positive: " + pid);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(kind).i32(pid);
    }

    public static ChildReady decode(PayloadReader in) {
        return new ChildReady(in.string(), in.i32());
    }
}

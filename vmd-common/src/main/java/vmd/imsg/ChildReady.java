package vmd.imsg;

import java.util.Objects;
import vmd.proc.AotCache;

/**
 * CHILD_READY: a child process is up. {@code kind} is its role ("vm", "vioblk", "vionet",
 * "control"); {@code aot} says whether its JVM started from the AOT cache it was given.
 */
public record ChildReady(String kind, int pid, AotCache.State aot) implements ImsgPayload {
    public ChildReady {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(aot, "aot");
        if (kind.isEmpty() || kind.length() > 64) throw new IllegalArgumentException("process kind must be 1-64 characters: \"" + kind + "\"");
        if (pid <= 0) throw new IllegalArgumentException("pid must be positive: " + pid);
    }

    public ChildReady(String kind, int pid) {
        this(kind, pid, AotCache.State.NONE);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(kind).i32(pid).u8(aot.ordinal());
    }

    public static ChildReady decode(PayloadReader in) {
        String kind = in.string();
        int pid = in.i32();
        int aot = in.u8();
        if (aot >= AotCache.State.values().length) throw new ImsgProtocolException("unknown AOT cache state " + aot);
        return new ChildReady(kind, pid, AotCache.State.values()[aot]);
    }
}

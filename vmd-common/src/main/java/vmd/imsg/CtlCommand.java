package vmd.imsg;

import java.util.Objects;

/**
 * A daemon-wide request from vmctl: CTL_VERBOSE ({@code arg} = verbosity), RESET
 * ({@code arg} = {@link #RESET_ALL}, {@link #RESET_VMS} or {@link #RESET_SWITCHES}), LOAD
 * ({@code text} = file), RELOAD. Root only. {@code uid}/{@code gid} are stamped by the
 * control process from SO_PEERCRED.
 */
public record CtlCommand(int arg, String text, int uid, int gid) implements ImsgPayload {
    public static final int RESET_ALL = 1, RESET_VMS = 2, RESET_SWITCHES = 3;

    public CtlCommand {
        Objects.requireNonNull(text, "text");
    }

    public static CtlCommand of(int arg, String text) {
        return new CtlCommand(arg, text, -1, -1);
    }

    public CtlCommand withCredentials(int newUid, int newGid) {
        return new CtlCommand(arg, text, newUid, newGid);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(arg).string(text).i32(uid).i32(gid);
    }

    public static CtlCommand decode(PayloadReader in) {
        return new CtlCommand(in.i32(), in.string(), in.i32(), in.i32());
    }
}

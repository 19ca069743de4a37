package vmd.imsg;

import java.util.Objects;

/** VM_TERMINATED: how the guest stopped, and a one-line reason for the log and vmctl. */
public record VmTerminated(ExitKind kind, String reason) implements ImsgPayload {
    /** How a guest stopped; the wire code is stable. */
    public enum ExitKind {
        /** The guest powered itself off (ACPI S5, or a test guest's exit port). */
        POWEROFF(0),
        /** The guest reset itself; the parent starts it again, as vmd does. */
        REBOOT(1),
        /** Stopped from outside: vmctl stop -f, or a graceful stop that timed out. */
        KILLED(2),
        /** The vm process gave up: a KVM error, an emulation failure, a device that failed. */
        ERROR(3);

        private final int code;

        ExitKind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static ExitKind fromCode(int code) {
            for (ExitKind k : values()) if (k.code == code) return k;
            throw new ImsgProtocolException("unknown exit kind " + code);
        }
    }

    public VmTerminated {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public void encode(PayloadWriter out) {
        out.u8(kind.code()).string(reason);
    }

    public static VmTerminated decode(PayloadReader in) {
        return new VmTerminated(ExitKind.fromCode(in.u8()), in.string());
    }
}

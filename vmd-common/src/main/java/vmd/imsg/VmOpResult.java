package vmd.imsg;

import java.util.Objects;

/**
 * The answer to a VM operation (OpenBSD's {@code struct vmop_result}): START_VM_RESPONSE,
 * TERMINATE_VM_RESPONSE, TERMINATE_VM_EVENT, PAUSE_VM_RESPONSE, UNPAUSE_VM_RESPONSE to vmctl.
 * {@code code} is 0 or an errno value; {@code message} says more when it is not 0.
 */
public record VmOpResult(int code, int id, String name, String tty, String message) implements ImsgPayload {
    public VmOpResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tty, "tty");
        Objects.requireNonNull(message, "message");
    }

    public static VmOpResult ok(int id, String name, String tty) {
        return new VmOpResult(0, id, name, tty, "");
    }

    public static VmOpResult fail(int code, String message) {
        return new VmOpResult(code, 0, "", "", Reason.of(message).text());
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(code).i32(id).string(name).string(tty).string(message);
    }

    public static VmOpResult decode(PayloadReader in) {
        return new VmOpResult(in.i32(), in.i32(), in.string(), in.string(), in.string());
    }
}

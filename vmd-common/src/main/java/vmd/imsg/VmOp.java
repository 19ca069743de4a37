package vmd.imsg;

import java.util.Objects;

/**
 * A request naming one VM (OpenBSD's {@code struct vmop_id}): TERMINATE_VM_REQUEST,
 * PAUSE_VM_REQUEST, UNPAUSE_VM_REQUEST, WAIT_VM_REQUEST and GET_INFO_VM_REQUEST from vmctl.
 * The VM is {@code id} if non-zero, else {@code name}. {@code uid} and {@code gid} are the
 * client's credentials: whatever vmctl writes there, the control process overwrites them
 * with the peer's SO_PEERCRED before forwarding, so the parent can trust them.
 */
public record VmOp(int id, String name, int flags, int uid, int gid) implements ImsgPayload {
    /** stop -f: kill at once. */
    public static final int FORCE = 1;
    /** stop -w: answer when the VM has stopped. */
    public static final int WAIT = 2;
    /** status -r: only running VMs (GET_INFO_VM_REQUEST). */
    public static final int RUNNING_ONLY = 4;
    /** send -l: a live migration, the stream is a socket to the destination (SEND_VM_REQUEST). */
    public static final int LIVE = 8;
    public static final int KNOWN_FLAGS = FORCE | WAIT | RUNNING_ONLY | LIVE;
    /** Longest VM name (OpenBSD's VMM_MAX_NAME_LEN - 1). */
    public static final int MAX_NAME = 63;

    public VmOp {
        Objects.requireNonNull(name, "name");
        if (id < 0) throw new IllegalArgumentException("vm id must not be negative: " + id);
        if (name.length() > MAX_NAME) throw new IllegalArgumentException("vm name longer than " + MAX_NAME + " characters");
        if ((flags & ~KNOWN_FLAGS) != 0) throw new IllegalArgumentException("unknown vm op flags 0x" + Integer.toHexString(flags));
    }

    public static VmOp of(String idOrName, int flags) {
        int id = parseId(idOrName);
        return new VmOp(id, id > 0 ? "" : idOrName, flags, -1, -1);
    }

    /** A positive decimal id, or 0 if {@code s} is a name. */
    public static int parseId(String s) {
        if (s == null || s.isEmpty() || s.length() > 10) return 0;
        for (int i = 0; i < s.length(); i++) if (!Character.isDigit(s.charAt(i))) return 0;
        long v = Long.parseLong(s);
        return v > 0 && v <= Integer.MAX_VALUE ? (int) v : 0;
    }

    public VmOp withCredentials(int newUid, int newGid) {
        return new VmOp(id, name, flags, newUid, newGid);
    }

    /** How vmctl and logs name the VM. */
    public String target() {
        return id > 0 ? Integer.toString(id) : name;
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(id).string(name).u32(flags).i32(uid).i32(gid);
    }

    public static VmOp decode(PayloadReader in) {
        return new VmOp(in.i32(), in.string(), (int) in.u32(), in.i32(), in.i32());
    }
}

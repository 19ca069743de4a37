package vmd.imsg;

import java.util.Objects;

/**
 * GET_INFO_VM_DATA: one row of {@code vmctl status} (OpenBSD's {@code struct vmop_info_result}).
 *
 * @param id      VM id
 * @param pid     the vm process, or 0 when not running
 * @param vcpus   vCPUs
 * @param maxMem  configured memory, bytes
 * @param curMem  guest memory resident now, bytes (0 when not running)
 * @param tty     console path ("/dev/pts/3"), or "" when not running
 * @param uid     owner uid, or -1
 * @param gid     owner gid, or -1
 * @param owner   owner as vmctl prints it ("root", "alice:staff", ":wheel")
 * @param state   "running", "stopped", "paused", "stopping", "starting", "disabled"
 * @param name    VM name
 */
public record VmInfo(int id, int pid, int vcpus, long maxMem, long curMem, String tty, int uid, int gid,
        String owner, String state, String name, String lastEvent) implements ImsgPayload {
    public VmInfo {
        Objects.requireNonNull(lastEvent, "lastEvent");
        Objects.requireNonNull(tty, "tty");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(name, "name");
    }

    public boolean running() {
        return pid > 0;
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(id).i32(pid).i32(vcpus).u64(maxMem).u64(curMem).string(tty).i32(uid).i32(gid)
                .string(owner).string(state).string(name).string(lastEvent);
    }

    public static VmInfo decode(PayloadReader in) {
        return new VmInfo(in.i32(), in.i32(), in.i32(), in.u64(), in.u64(), in.string(), in.i32(), in.i32(),
                in.string(), in.string(), in.string(), in.string());
    }
}

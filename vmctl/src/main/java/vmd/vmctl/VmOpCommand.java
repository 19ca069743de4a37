package vmd.vmctl;

import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.VmOpResult;

/** Helpers shared by the commands that name one VM. */
final class VmOpCommand {
    private VmOpCommand() {}

    /** OpenBSD's parse_vmid(): an id or a name, not an option, under 64 bytes. */
    static String vmid(String word) {
        if (word == null) throw new VmctlException("missing vmid argument");
        if (word.startsWith("-")) throw new UsageException("invalid id: " + word);
        if (word.length() >= 64) throw new VmctlException("name too long");
        return word;
    }

    /** Waits for {@code expected} and returns its result; anything else is unexpected. */
    static VmOpResult expect(ControlClient c, ImsgType... expected) {
        Imsg m = c.receive();
        for (ImsgType t : expected) if (m.type() == t) return m.decode(VmOpResult::decode);
        throw new VmctlException("unexpected response received from vmd");
    }

    static String strerror(VmOpResult r) {
        if (!r.message().isEmpty()) return r.message();
        return switch (r.code()) {
            case 1 -> "Operation not permitted";
            case 2 -> "No such file or directory";
            case 22 -> "Invalid argument";
            default -> "error " + r.code();
        };
    }
}

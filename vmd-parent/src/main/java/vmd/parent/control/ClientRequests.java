package vmd.parent.control;

import vmd.imsg.CtlCommand;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.StartVm;
import vmd.imsg.VmOp;

/**
 * What a vmctl client may send, checked in the control process before anything reaches the
 * parent: the type must be a request, root-only requests need uid 0 (as OpenBSD's
 * control.c), the payload must decode, and the client's credentials from SO_PEERCRED
 * replace whatever the payload claimed.
 */
final class ClientRequests {
    static final int EPERM = 1, EINVAL = 22, EBADMSG = 74;

    /** A request refused in the control process; the client gets CTL_FAIL and is disconnected. */
    static final class Refused extends Exception {
        final int code;

        Refused(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    private ClientRequests() {}

    /** The message to forward to the parent for {@code peerId}, with the peer's credentials stamped in. */
    static Imsg admit(Imsg msg, int peerId, int uid, int gid) throws Refused {
        try {
            Imsg out = switch (msg.type()) {
                case START_VM_REQUEST -> Imsg.of(msg.type(), msg.decode(StartVm::decode).withCredentials(uid, gid));
                case TERMINATE_VM_REQUEST, WAIT_VM_REQUEST, PAUSE_VM_REQUEST, UNPAUSE_VM_REQUEST, GET_INFO_VM_REQUEST,
                        SEND_VM_REQUEST, RECEIVE_VM_REQUEST ->
                        Imsg.of(msg.type(), msg.decode(VmOp::decode).withCredentials(uid, gid));
                case CTL_VERBOSE, RESET, LOAD, RELOAD -> {
                    CtlCommand c = msg.decode(CtlCommand::decode);
                    if (uid != 0) throw new Refused(EPERM, "permission denied: " + name(msg) + " is for root only");
                    yield Imsg.of(msg.type(), c.withCredentials(uid, gid));
                }
                default -> throw new Refused(EINVAL, "clients may not send " + msg.type());
            };
            return out.withPeerId(peerId).withPid(msg.pid());
        } catch (ImsgProtocolException e) {
            throw new Refused(EBADMSG, e.getMessage());
        }
    }

    /** Requests whose stream descriptor follows once control answers STREAM_FD_READY. */
    static boolean needsStream(Imsg msg) {
        return msg.type() == vmd.imsg.ImsgType.SEND_VM_REQUEST || msg.type() == vmd.imsg.ImsgType.RECEIVE_VM_REQUEST;
    }

    private static String name(Imsg msg) {
        return switch (msg.type()) {
            case CTL_VERBOSE -> "log";
            case RESET -> "reset";
            case LOAD -> "load";
            case RELOAD -> "reload";
            default -> msg.type().toString();
        };
    }
}

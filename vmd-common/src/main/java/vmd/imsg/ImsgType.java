package vmd.imsg;

import static vmd.imsg.FdPolicy.NONE;
import static vmd.imsg.FdPolicy.OPTIONAL;
import static vmd.imsg.FdPolicy.REQUIRED;

import java.util.HashMap;
import java.util.Map;

/**
 * Every imsg type vmd speaks, with its wire code and whether it carries a descriptor.
 *
 * <p>Codes are part of the protocol between separately started processes (and vmctl, which
 * may be a different build): never renumber or reuse one; add new types with new codes. Code
 * 0 is reserved (OpenBSD's IMSG_NONE). Each comment names the direction and the payload.
 */
public enum ImsgType {
    // ---- control: vmctl <-> control <-> parent (OpenBSD's IMSG_CTL_* and IMSG_VMDOP_*) ----
    /** Reply: the request succeeded. Payload {@link CtlResult}. */
    CTL_OK(1, NONE),
    /** Reply: the request failed. Payload {@link CtlResult} (errno-like code, message). */
    CTL_FAIL(2, NONE),
    /**
     * vmctl log verbose|brief. From vmctl: {@link CtlCommand} (arg = verbosity); parent ->
     * control: {@link LogLevel}.
     */
    CTL_VERBOSE(3, NONE),
    /** vmctl reset [all|switches|vms]. Payload {@link CtlCommand} (arg = mode). */
    RESET(4, NONE),
    /** vmctl load FILE: load an additional configuration file. Payload {@link CtlCommand} (text = file). */
    LOAD(5, NONE),
    /** vmctl reload: re-read vm.conf. Payload {@link CtlCommand}. */
    RELOAD(6, NONE),
    /** vmctl start. Payload {@link StartVm}; answered by START_VM_RESPONSE. */
    START_VM_REQUEST(10, NONE),
    /** Payload {@link VmOpResult} (id and tty of the started VM). */
    START_VM_RESPONSE(11, NONE),
    /** vmctl stop. Payload {@link VmOp} (flags FORCE, WAIT). */
    TERMINATE_VM_REQUEST(12, NONE),
    /** The stop was requested (no WAIT/FORCE). Payload {@link VmOpResult}. */
    TERMINATE_VM_RESPONSE(13, NONE),
    /** A VM has stopped; the answer to WAIT_VM_REQUEST and to stop -w/-f. Payload {@link VmOpResult}. */
    TERMINATE_VM_EVENT(14, NONE),
    /** vmctl wait. Payload {@link VmOp}. */
    WAIT_VM_REQUEST(15, NONE),
    /** vmctl pause: payload {@link VmOp}. Parent -> vm process: no payload. */
    PAUSE_VM_REQUEST(16, NONE),
    /** Payload {@link VmOpResult} to vmctl; none from a vm process. */
    PAUSE_VM_RESPONSE(17, NONE),
    /** vmctl unpause: payload {@link VmOp}. Parent -> vm process: no payload. */
    UNPAUSE_VM_REQUEST(18, NONE),
    UNPAUSE_VM_RESPONSE(19, NONE),
    /** vmctl status / console / stop -a. Payload {@link VmOp} (flags RUNNING_ONLY). */
    GET_INFO_VM_REQUEST(20, NONE),
    /** One VM's status row, payload {@link VmInfo}; a reply is any number of these, then GET_INFO_VM_END_DATA. */
    GET_INFO_VM_DATA(21, NONE),
    GET_INFO_VM_END_DATA(22, NONE),
    /** control -> parent: the client with this peer id has gone; forget its pending waits. No payload. */
    CTL_PEER_CLOSED(23, NONE),

    // ---- lifecycle: parent <-> every child (control, vm, vioblk, vionet) ----
    /** child -> parent: up and waiting for its configuration. Payload {@link ChildReady}. */
    CHILD_READY(100, NONE),
    /** parent -> child: the child's configuration; the payload codec belongs to the child kind. */
    CHILD_CONFIG(101, NONE),
    /** parent -> child: one descriptor, labelled ("memfd", "tap0", "disk0", "vhost-user"). Payload {@link ChildFd}. */
    CHILD_FD(102, REQUIRED),
    /** parent -> child: stop gracefully within the timeout. Payload {@link Shutdown}. */
    SHUTDOWN(103, NONE),
    /** child -> parent: about to exit. Payload {@link Reason}. */
    CHILD_EXITING(104, NONE),
    /** vm -> parent: the guest is running. Payload {@link Reason} (a one-line summary). */
    VM_STARTED(105, NONE),
    /** vm -> parent: the guest has stopped. Payload {@link VmTerminated}. */
    VM_TERMINATED(106, NONE),
    /** parent -> child: change log verbosity. Payload {@link LogLevel}. */
    LOG_LEVEL(107, NONE),
    /**
     * parent -> a spare device process, before its CHILD_FDs: the device it now is
     * ("vioblk web/disk0"), for its log lines. Payload {@link Reason} (the name).
     */
    CHILD_NAME(110, NONE),

    // ---- device restarts: parent -> vm ----
    /**
     * A device process was restarted: the vhost-user socket to the new one travels with it.
     * Payload {@link ChildFd} (the device's label, as in the vm process's CHILD_FD: "vioblk0", "vionet1").
     */
    DEVICE_RECONNECT(108, REQUIRED),
    /** A device process died and will not be restarted. Payload {@link DeviceFailed}. */
    DEVICE_FAILED(109, NONE),

    // ---- snapshots: vmctl send / receive ----
    /**
     * vmctl send ID: from vmctl a {@link VmOp} without a descriptor (it sends its stdout once
     * control answers STREAM_FD_READY); control -> parent and parent -> vm: the same with
     * that descriptor, where the vm process writes the stream.
     */
    SEND_VM_REQUEST(130, OPTIONAL),
    /** vm -> parent: {@link CtlResult} (code 0 and a summary, or the failure); parent -> vmctl: {@link VmOpResult}. */
    SEND_VM_RESPONSE(131, NONE),
    /**
     * vmctl receive NAME: a {@link VmOp} naming a configured, stopped VM; from vmctl without a
     * descriptor, control -> parent with vmctl's stdin, which the new vm process reads.
     */
    RECEIVE_VM_REQUEST(132, OPTIONAL),
    /** parent -> vmctl: {@link VmOpResult} once the VM runs from the stream, or why it does not. */
    RECEIVE_VM_RESPONSE(133, NONE),
    /** control -> vmctl: send the stream's descriptor now, as one byte with SCM_RIGHTS. No payload. */
    STREAM_FD_READY(134, NONE),

    // ---- metrics: the control process scrapes the parent, the parent its children ----
    /**
     * control -> parent: one scrape (peer id = the control process's scrape id); parent -> a
     * vm, vioblk or vionet process: its samples now (peer id = the parent's request id). No payload.
     */
    STATS_REQUEST(140, NONE),
    /**
     * Payload {@link StatsSamples}, with the request's peer id. child -> parent: its whole
     * answer, in one message; parent -> control: part of a scrape, any number, then STATS_END.
     */
    STATS_RESPONSE(141, NONE),
    /** parent -> control: every sample of the scrape with this peer id has been sent. No payload. */
    STATS_END(142, NONE),
    /** parent -> control: serve metrics over HTTP on this listening socket. Payload {@link Reason} (its address, for logs). */
    METRICS_SERVE(143, REQUIRED),
    /** parent -> control: close every metrics listener (a reload changed them; the new ones follow). No payload. */
    METRICS_STOP(144, NONE);

    private static final Map<Integer, ImsgType> BY_CODE = new HashMap<>();

    static {
        for (ImsgType t : values()) {
            ImsgType clash = BY_CODE.put(t.code, t);
            if (clash != null) throw new ExceptionInInitializerError("imsg code " + t.code + " used by " + clash + " and " + t);
        }
    }

    private final int code;
    private final FdPolicy fd;

    ImsgType(int code, FdPolicy fd) {
        this.code = code;
        this.fd = fd;
    }

    /** The wire code (u32). */
    public int code() {
        return code;
    }

    public FdPolicy fd() {
        return fd;
    }

    /** The type with this wire code, or null if there is none. */
    public static ImsgType fromCode(int code) {
        return BY_CODE.get(code);
    }
}

package vmd.parent.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.CtlCommand;
import vmd.imsg.CtlResult;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.StartVm;
import vmd.imsg.VmInfo;
import vmd.imsg.VmOp;
import vmd.imsg.VmOpResult;
import vmd.parent.config.BootDevice;
import vmd.parent.config.Caller;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.InstanceException;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.Limits;
import vmd.parent.config.Owner;
import vmd.parent.config.VmConfig;
import vmd.parent.config.VmInstances;
import vmd.parent.vms.Vm;
import vmd.parent.vms.VmRegistry;
import vmd.parent.vms.VmState;

/**
 * The parent's side of vmctl: every request the control process forwards, handled on the
 * registry's event thread. The credentials in a request were stamped by the control
 * process from SO_PEERCRED. Permissions follow DESIGN.md section 3: root may do
 * everything; a VM's owner (its user, or a member of its group) may start, stop, pause,
 * unpause and wait for it; anyone may ask for status.
 */
public final class ControlRequests {
    private static final Logger log = LoggerFactory.getLogger(ControlRequests.class);
    static final int EPERM = 1, ENOENT = 2, EIO = 5, EBUSY = 16, EEXIST = 17, EINVAL = 22, EALREADY = 114;

    /** What the daemon itself does for vmctl: configuration and log level. */
    public interface Daemon {
        /** The global firmware of the current configuration, or null. */
        String firmware();

        /** vmctl reload: re-read vm.conf; new VMs are added (and started if enabled). */
        CtlResult reload();

        /** vmctl load FILE: add the VMs of another file. */
        CtlResult load(Path file);

        /** vmctl log brief|verbose. */
        void verbosity(int level);

        /** A VM has been started by vmctl (or the daemon): its console goes to its owner. */
        void started(Vm vm);
    }

    private final VmRegistry registry;
    private final Daemon daemon;
    private final Identities ids;
    private final Consumer<Imsg> replies;
    /** VMs created by vmctl (ad hoc or instances): forgotten when they stop, as OpenBSD does. */
    private final Set<Vm> transientVms = new HashSet<>();
    /** Clients still connected that wait for a VM to stop. */
    private final Set<Integer> waitingPeers = new HashSet<>();

    public ControlRequests(VmRegistry registry, Daemon daemon, Identities ids, Consumer<Imsg> replies) {
        this.registry = registry;
        this.daemon = daemon;
        this.ids = ids;
        this.replies = replies;
    }

    /** Handles one forwarded request; call on the event thread. Never throws for a bad request. */
    public void handle(Imsg msg) {
        int peer = msg.peerId();
        try {
            switch (msg.type()) {
                case START_VM_REQUEST -> start(peer, msg.decode(StartVm::decode));
                case TERMINATE_VM_REQUEST -> terminate(peer, msg.decode(VmOp::decode));
                case WAIT_VM_REQUEST -> waitFor(peer, msg.decode(VmOp::decode));
                case PAUSE_VM_REQUEST -> pause(peer, msg.decode(VmOp::decode), true);
                case UNPAUSE_VM_REQUEST -> pause(peer, msg.decode(VmOp::decode), false);
                case GET_INFO_VM_REQUEST -> info(peer);
                case SEND_VM_REQUEST -> withStream(msg, fd -> send(peer, msg.decode(VmOp::decode), fd));
                case RECEIVE_VM_REQUEST -> withStream(msg, fd -> receive(peer, msg.decode(VmOp::decode), fd));
                case CTL_VERBOSE, RESET, LOAD, RELOAD -> command(peer, msg.type(), msg.decode(CtlCommand::decode));
                case CTL_PEER_CLOSED -> waitingPeers.remove(peer);
                default -> reply(peer, ImsgType.CTL_FAIL, CtlResult.fail(EINVAL, "unexpected request " + msg.type()));
            }
        } catch (RuntimeException e) {
            log.warn("control request {} from peer {} failed: {}", msg.type(), peer, e.toString());
            reply(peer, ImsgType.CTL_FAIL, CtlResult.fail(EINVAL, vmd.imsg.Reason.of(String.valueOf(e.getMessage())).text()));
        }
    }

    // ---- start ----

    private void start(int peer, StartVm s) {
        Caller caller = ids.caller(s.uid(), s.gid());
        Vm vm;
        try {
            vm = s.template().isEmpty() ? startTarget(s, caller) : instance(s, caller);
        } catch (Refusal r) {
            log.info("start {} by uid {} refused: {}", s.name(), s.uid(), r.getMessage());
            reply(peer, ImsgType.START_VM_RESPONSE, VmOpResult.fail(r.code, r.getMessage()));
            return;
        }
        try {
            registry.start(vm);
        } catch (RuntimeException e) {
            forgetIfTransient(vm);
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            int code = e instanceof IllegalStateException ? EALREADY : e instanceof IllegalArgumentException ? ENOENT : EIO;
            reply(peer, ImsgType.START_VM_RESPONSE, VmOpResult.fail(code, why));
            return;
        }
        daemon.started(vm);
        if (transientVms.contains(vm)) registry.awaitStop(vm).thenAccept(this::forgetIfTransient);
        reply(peer, ImsgType.START_VM_RESPONSE, VmOpResult.ok(vm.id(), vm.name(), vm.ttyPath() == null ? "" : vm.ttyPath()));
    }

    /** A VM from vm.conf by name or id, or a new one described on the command line. */
    private Vm startTarget(StartVm s, Caller caller) throws Refusal {
        Optional<Vm> known = registry.find(s.name());
        if (known.isPresent()) {
            Vm vm = known.get();
            if (!caller.isOwner(vm.config().owner())) throw new Refusal(EPERM, "permission denied");
            if (s.createsVm()) throw new Refusal(EEXIST, "vm " + vm.name() + " already exists");
            if (vm.pid() > 0) throw new Refusal(EALREADY, "vm already running");
            return vm;
        }
        if (!s.createsVm()) throw new Refusal(ENOENT, "vm " + s.name() + " not found");
        if (!caller.isRoot()) throw new Refusal(EPERM, "permission denied: only root may create a vm");
        if (VmOp.parseId(s.name()) > 0) throw new Refusal(EINVAL, "invalid vm name");
        VmConfig.Builder b = VmConfig.builder(s.name());
        apply(s, b, caller);
        b.owner(new Owner(s.uid(), null, -1, null));
        VmConfig c = b.build();
        if (c.boot() == null && c.disks().isEmpty() && c.cdrom() == null) throw new Refusal(EINVAL, "no kernel or disk/cdrom specified");
        return define(c);
    }

    /** {@code vmctl start -t template name}: VmInstances decides what the caller may change. */
    private Vm instance(StartVm s, Caller caller) throws Refusal {
        Vm parent = registry.find(s.template()).orElseThrow(() -> new Refusal(EINVAL, "invalid template " + s.template()));
        if (registry.find(s.name()).isPresent()) throw new Refusal(EEXIST, "vm " + s.name() + " already exists");
        VmConfig.Builder b = VmConfig.builder(s.name());
        apply(s, b, caller);
        if (!caller.isRoot()) b.owner(new Owner(caller.uid(), null, -1, null));
        try {
            return define(VmInstances.create(parent.config(), b.build(), caller));
        } catch (InstanceException e) {
            throw new Refusal(e.reason() == InstanceException.Reason.PERMISSION ? EPERM : EBUSY, e.getMessage());
        }
    }

    private Vm define(VmConfig c) throws Refusal {
        checkName(c.name());
        for (InterfaceConfig i : c.interfaces()) {
            if (i.switchName() != null && registry.findSwitch(i.switchName()).isEmpty()) {
                throw new Refusal(EINVAL, "invalid switch " + i.switchName());
            }
        }
        List<Vm> added = registry.define(List.of(c), daemon.firmware());
        if (added.isEmpty()) throw new Refusal(EEXIST, "vm " + c.name() + " already exists");
        transientVms.add(added.get(0));
        return added.get(0);
    }

    private static void checkName(String name) throws Refusal {
        if (name.length() >= Limits.NAME_LEN) throw new Refusal(EINVAL, "vm name too long");
        char first = name.charAt(0);
        if (first == '-' || first == '.' || first == '_') throw new Refusal(EINVAL, "invalid VM name");
        for (char ch : name.toCharArray()) {
            if (!(Character.isLetterOrDigit(ch) && ch < 128) && ch != '.' && ch != '-' && ch != '_') throw new Refusal(EINVAL, "invalid VM name");
        }
    }

    private static void apply(StartVm s, VmConfig.Builder b, Caller caller) throws Refusal {
        if (!s.boot().isEmpty()) b.boot(checkFile("boot image", s.boot(), caller, false));
        if (!s.cdrom().isEmpty()) b.cdrom(checkFile("iso image", s.cdrom(), caller, false));
        if (!s.initrd().isEmpty()) b.initrd(checkFile("initrd", s.initrd(), caller, false));
        if (!s.cmdline().isEmpty()) b.cmdline(s.cmdline());
        if (s.memory() > 0) {
            if (s.memory() < Limits.MIN_MEMORY || s.memory() > Limits.MAX_MEMORY) throw new Refusal(EINVAL, "memory size out of range");
            b.memory(s.memory() / (1 << 20) * (1 << 20));
        }
        if (s.cpus() > 0) b.cpus(s.cpus());
        for (String d : s.disks()) {
            DiskFormat f = DiskFormat.AUTO;
            String path = d;
            if (d.startsWith("raw:")) {
                f = DiskFormat.RAW;
                path = d.substring(4);
            } else if (d.startsWith("qcow2:")) {
                f = DiskFormat.QCOW2;
                path = d.substring(6);
            }
            b.disk(checkFile("disk", path, caller, true), f);
        }
        List<InterfaceConfig> ifs = new ArrayList<>();
        for (String n : s.networks()) {
            ifs.add(n.equals(".") ? new InterfaceConfig(true, null, null, null, false, null, -1, true)
                    : new InterfaceConfig(false, null, n, null, false, null, -1, true));
        }
        while (ifs.size() < s.interfaces()) ifs.add(InterfaceConfig.DEFAULT);
        ifs.forEach(b::iface);
        if (!s.bootDevice().isEmpty()) {
            try {
                b.bootDevice(BootDevice.valueOf(s.bootDevice().toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Refusal(EINVAL, "unknown boot device " + s.bootDevice());
            }
        }
    }

    /**
     * Paths come from the client's point of view: they must be absolute, exist, and be
     * files the caller could open themselves (read, and write for disks).
     */
    private static String checkFile(String what, String path, Caller caller, boolean write) throws Refusal {
        if (!path.startsWith("/")) throw new Refusal(EINVAL, what + " path must be absolute: " + path);
        Path p = Path.of(path);
        if (!Files.exists(p)) throw new Refusal(ENOENT, what + " " + path + " not found");
        try {
            Path real = p.toRealPath();
            if (!FileAccess.permits(real, caller, write)) throw new Refusal(EPERM, what + " " + path + ": permission denied");
            return real.toString();
        } catch (IOException e) {
            throw new Refusal(ENOENT, what + " " + path + ": " + e.getMessage());
        }
    }

    private void forgetIfTransient(Vm vm) {
        if (transientVms.contains(vm) && vm.pid() < 0 && registry.remove(vm)) {
            transientVms.remove(vm);
            log.info("{}: removed", vm.name());
        }
    }

    // ---- stop, wait, pause ----

    private Vm target(VmOp op) {
        Optional<Vm> vm = op.id() > 0 ? registry.all().stream().filter(v -> v.id() == op.id()).findFirst() : registry.find(op.name());
        return vm.orElse(null);
    }

    private boolean mayControl(VmOp op, Vm vm) {
        return ids.caller(op.uid(), op.gid()).isOwner(vm.config().owner());
    }

    /** The VM {@code op} names if its caller may control it; otherwise replies why and returns null. */
    private Vm controllable(int peer, VmOp op, ImsgType response) {
        Vm vm = target(op);
        if (vm == null) {
            reply(peer, response, VmOpResult.fail(ENOENT, "vm not found"));
        } else if (!mayControl(op, vm)) {
            reply(peer, response, VmOpResult.fail(EPERM, "permission denied"));
            vm = null;
        }
        return vm;
    }

    private void terminate(int peer, VmOp op) {
        Vm vm = controllable(peer, op, ImsgType.TERMINATE_VM_RESPONSE);
        if (vm == null) return;
        if (vm.pid() < 0) {
            reply(peer, ImsgType.TERMINATE_VM_RESPONSE, VmOpResult.fail(EINVAL, "cannot stop vm that is not running"));
            return;
        }
        boolean force = (op.flags() & VmOp.FORCE) != 0;
        boolean wait = (op.flags() & VmOp.WAIT) != 0;
        if (force || wait) notifyWhenStopped(peer, vm);
        registry.stop(vm, force, VmRegistry.DEFAULT_STOP_TIMEOUT_MS);
        log.info("{}: stop requested by uid {}{}", vm.name(), op.uid(), force ? " (forced)" : "");
        if (!force && !wait) reply(peer, ImsgType.TERMINATE_VM_RESPONSE, VmOpResult.ok(vm.id(), vm.name(), ""));
    }

    private void waitFor(int peer, VmOp op) {
        Vm vm = controllable(peer, op, ImsgType.TERMINATE_VM_RESPONSE);
        if (vm == null) return;
        notifyWhenStopped(peer, vm);
    }

    private void notifyWhenStopped(int peer, Vm vm) {
        waitingPeers.add(peer);
        int id = vm.id();
        String name = vm.name();
        registry.awaitStop(vm).thenAccept(v -> {
            if (waitingPeers.contains(peer)) reply(peer, ImsgType.TERMINATE_VM_EVENT, VmOpResult.ok(id, name, ""));
        });
    }

    private void pause(int peer, VmOp op, boolean pause) {
        ImsgType response = pause ? ImsgType.PAUSE_VM_RESPONSE : ImsgType.UNPAUSE_VM_RESPONSE;
        Vm vm = controllable(peer, op, response);
        if (vm == null) return;
        try {
            if (pause) registry.pause(vm);
            else registry.unpause(vm);
        } catch (IllegalStateException e) {
            reply(peer, response, VmOpResult.fail(EINVAL, e.getMessage()));
            return;
        }
        log.info("{}: {} by uid {}", vm.name(), pause ? "paused" : "unpaused", op.uid());
        reply(peer, response, VmOpResult.ok(vm.id(), vm.name(), ""));
    }

    // ---- send / receive ----

    /** Runs {@code action} with the request's stream descriptor, which is closed afterwards (the vm process has its own). */
    private void withStream(Imsg msg, java.util.function.IntConsumer action) {
        if (!msg.hasFd()) {
            reply(msg.peerId(), msg.type() == ImsgType.SEND_VM_REQUEST ? ImsgType.SEND_VM_RESPONSE : ImsgType.RECEIVE_VM_RESPONSE,
                    VmOpResult.fail(EINVAL, "no stream descriptor"));
            return;
        }
        try {
            action.accept(msg.fd());
        } finally {
            vmd.sys.Fds.closeQuietly(msg.fd());
        }
    }

    /** vmctl send ID: the VM's owner may; the reply comes when the stream is written (and the VM has ended). */
    private void send(int peer, VmOp op, int fd) {
        Vm vm = controllable(peer, op, ImsgType.SEND_VM_RESPONSE);
        if (vm == null) return;
        java.util.concurrent.CompletableFuture<CtlResult> done;
        try {
            done = registry.send(vm, fd, (op.flags() & VmOp.LIVE) != 0);
        } catch (IllegalStateException e) {
            reply(peer, ImsgType.SEND_VM_RESPONSE, VmOpResult.fail(EINVAL, e.getMessage()));
            return;
        }
        log.info("{}: send requested by uid {}", vm.name(), op.uid());
        done.thenAccept(r -> {
            if (r.code() == 0) log.info("{}: {}", vm.name(), r.message());
            else log.warn("{}: send failed: {}", vm.name(), r.message());
            reply(peer, ImsgType.SEND_VM_RESPONSE, r.code() == 0 ? new VmOpResult(0, vm.id(), vm.name(), "", r.message())
                    : VmOpResult.fail(r.code(), r.message()));
        });
    }

    /**
     * vmctl receive NAME: a configured VM that is not running starts from the stream, with
     * new device processes on its own images and taps. The reply waits until the guest
     * runs, or says why the stream was refused.
     */
    private void receive(int peer, VmOp op, int fd) {
        Vm vm = controllable(peer, op, ImsgType.RECEIVE_VM_RESPONSE);
        if (vm == null) return;
        if (vm.pid() > 0) {
            reply(peer, ImsgType.RECEIVE_VM_RESPONSE, VmOpResult.fail(EALREADY, "vm already running"));
            return;
        }
        try {
            registry.receive(vm, fd);
        } catch (RuntimeException e) {
            reply(peer, ImsgType.RECEIVE_VM_RESPONSE, VmOpResult.fail(EIO, String.valueOf(e.getMessage())));
            return;
        }
        daemon.started(vm);
        log.info("{}: receive requested by uid {}", vm.name(), op.uid());
        vmd.parent.vms.VmProcess p = registry.process(vm);
        p.running().whenComplete((summary, failed) -> {
            if (failed == null) {
                reply(peer, ImsgType.RECEIVE_VM_RESPONSE, VmOpResult.ok(vm.id(), vm.name(), vm.ttyPath() == null ? "" : vm.ttyPath()));
            } else {
                String why = p.end().isDone() ? p.end().join().reason() : String.valueOf(failed.getMessage());
                reply(peer, ImsgType.RECEIVE_VM_RESPONSE, VmOpResult.fail(EINVAL, why));
            }
        });
    }

    // ---- status ----

    private void info(int peer) {
        for (Vm vm : registry.all()) reply(peer, ImsgType.GET_INFO_VM_DATA, info(vm, ids));
        replies.accept(Imsg.of(ImsgType.GET_INFO_VM_END_DATA).withPeerId(peer));
    }

    /** One status row. */
    public static VmInfo info(Vm vm, Identities ids) {
        Owner o = vm.config().owner();
        int pid = Math.max(vm.pid(), 0);
        String state = vm.state() == VmState.DISABLED ? "stopped" : vm.state().label();
        return new VmInfo(vm.id(), pid, vm.config().effectiveCpus(), vm.config().effectiveMemory(),
                pid > 0 ? residentGuestMemory(pid) : 0, pid > 0 && vm.ttyPath() != null ? vm.ttyPath() : "",
                o.hasUid() ? o.uid() : 0, o.hasGid() ? o.gid() : -1, ids.ownerText(o.hasUid() ? o.uid() : 0, o.hasGid() ? o.gid() : -1),
                state, vm.name(), vm.lastReason());
    }

    /** CURMEM: the guest RAM the vm process has touched (its shared memfd pages, RssShmem). */
    static long residentGuestMemory(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("RssShmem:")) {
                    String[] f = line.trim().split("\\s+");
                    return Long.parseLong(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process just went away
        }
        return 0;
    }

    // ---- daemon-wide ----

    private void command(int peer, ImsgType type, CtlCommand c) {
        if (c.uid() != 0) {
            reply(peer, ImsgType.CTL_FAIL, CtlResult.fail(EPERM, "permission denied"));
            return;
        }
        CtlResult result = switch (type) {
            case CTL_VERBOSE -> {
                daemon.verbosity(c.arg());
                yield CtlResult.ok();
            }
            case RELOAD -> daemon.reload();
            case LOAD -> daemon.load(Path.of(c.text()));
            case RESET -> reset(c.arg());
            default -> CtlResult.fail(EINVAL, "unexpected " + type);
        };
        reply(peer, result.code() == 0 ? ImsgType.CTL_OK : ImsgType.CTL_FAIL, result);
    }

    /** vmctl reset: "vms" and "all" terminate and forget every VM (vmctl reload brings back vm.conf's). */
    private CtlResult reset(int mode) {
        if (mode == CtlCommand.RESET_SWITCHES) {
            log.info("reset switches: no switches are configured by this vmd");
            return CtlResult.ok();
        }
        for (Vm vm : registry.all()) {
            if (vm.pid() > 0) {
                registry.awaitStop(vm).thenAccept(v -> registry.remove(v));
                registry.stop(vm, true, 0);
            } else {
                registry.remove(vm);
            }
            transientVms.remove(vm);
        }
        log.info("reset: all vms terminated and removed");
        return CtlResult.ok();
    }

    private void reply(int peer, ImsgType type, vmd.imsg.ImsgPayload payload) {
        replies.accept(Imsg.of(type, payload).withPeerId(peer));
    }

    private static final class Refusal extends Exception {
        final int code;

        Refusal(int code, String message) {
            super(message);
            this.code = code;
        }
    }
}

package vmd.parent.vms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.VmParams;
import vmd.imsg.VmTerminated;
import vmd.parent.config.VmConfig;
import vmd.parent.priv.DiskImage;
import vmd.parent.priv.VmResources;
import vmd.parent.config.DeviceRestarts;
import vmd.parent.config.DiskConfig;
import vmd.parent.config.DiskFormat;
import vmd.imsg.VioblkParams;
import vmd.imsg.VionetParams;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.IpPrefix;
import vmd.parent.config.MacAddress;
import vmd.parent.config.SwitchConfig;
import vmd.parent.priv.Bridges;
import vmd.parent.priv.IpCommand;
import vmd.parent.priv.LocalAddresses;
import vmd.parent.priv.LocalAddresses6;
import vmd.parent.priv.LocalInet6;
import vmd.parent.priv.Tap;
import vmd.sys.Fds;
import vmd.proc.ChildLauncher;
import vmd.proc.Privileges;
import vmd.sys.Pty;

/**
 * The VMs the daemon knows and their lifecycle: start, stop (graceful or forced), pause,
 * restart after a guest reboot on the same console. Runs on the parent's event thread.
 */
public final class VmRegistry implements VmProcess.Listener {
    private static final Logger log = LoggerFactory.getLogger(VmRegistry.class);
    public static final int DEFAULT_STOP_TIMEOUT_MS = 30_000;
    /** A disk gets one request queue per vCPU, up to this many (each served by its own thread). */
    static final int MAX_DISK_QUEUES = 4;
    /** Queue pairs per interface: one per vCPU up to this (a multi-queue tap, VIRTIO_NET_F_MQ). */
    static final int MAX_NET_QUEUE_PAIRS = 4;

    private final Executor events;
    private final ChildLauncher launcher;
    private Privileges privileges;
    private String globalFirmware;
    private final Map<String, Vm> vms = new LinkedHashMap<>();
    private final Map<Vm, List<CompletableFuture<Vm>>> waiters = new LinkedHashMap<>();
    private int nextId = 1;
    private IpPrefix localPrefix = defaultLocalPrefix();
    private List<SwitchConfig> switches = List.of();
    private DeviceRestarts deviceRestarts = DeviceRestarts.DEFAULT;
    private final SpareDevices spares;
    private IpPrefix localPrefix6; // null: no local inet6

    public VmRegistry(Executor events, ChildLauncher launcher, Privileges privileges, String globalFirmware) {
        this.events = events;
        this.launcher = launcher;
        this.privileges = privileges;
        this.globalFirmware = globalFirmware;
        this.spares = new SpareDevices(events, launcher, privileges);
    }

    /** vm.conf {@code spare devices}: keep a warm spare vioblk and vionet process for restarts. */
    public void spareDevices(boolean on) {
        spares.configure(on, privileges);
    }

    /** The warm spare processes' pids by kind (empty when spares are off). */
    public Map<String, Integer> sparePids() {
        return spares.pids();
    }

    /** Adds VMs from a (re)loaded config: new names are added, known ones keep running, as vmd does. */
    public List<Vm> define(List<VmConfig> configs, String firmware) {
        globalFirmware = firmware;
        List<Vm> added = new ArrayList<>();
        for (VmConfig c : configs) {
            Vm known = vms.get(c.name());
            if (known != null) {
                if (known.process == null) known.config = c; // takes effect at its next start
                continue;
            }
            Vm vm = new Vm(nextId++, c);
            vms.put(c.name(), vm);
            added.add(vm);
        }
        return added;
    }

    /** Forgets a VM that is not running (vmctl reset; ad-hoc VMs and instances once they stop). */
    public boolean remove(Vm vm) {
        if (vm.process != null) return false;
        return vms.remove(vm.name(), vm);
    }

    /** vm.conf's {@code local prefix} and {@code switch} blocks (defaults: 100.64.0.0/10, none). */
    public void network(IpPrefix localPrefix, List<SwitchConfig> switches) {
        this.localPrefix = localPrefix;
        this.switches = List.copyOf(switches);
    }

    /** vm.conf's {@code local inet6}: the prefix local interfaces' /96s come from, or null for IPv4 only. */
    public void inet6(IpPrefix prefix6) {
        this.localPrefix6 = prefix6;
    }

    private static IpPrefix defaultLocalPrefix() {
        try {
            return new IpPrefix(java.net.InetAddress.getByName("100.64.0.0"), 10);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An enabled switch by name: what {@code vmctl start -n} and {@code interface { switch }} may name. */
    public Optional<SwitchConfig> findSwitch(String name) {
        return switches.stream().filter(s -> s.enabled() && s.name().equals(name)).findFirst();
    }

    public void privileges(Privileges p) {
        this.privileges = p;
        if (spares.enabled()) spares.configure(true, p);
    }

    public List<Vm> all() {
        return List.copyOf(vms.values());
    }

    /** By name or numeric id. */
    public Optional<Vm> find(String nameOrId) {
        Vm byName = vms.get(nameOrId);
        if (byName != null) return Optional.of(byName);
        try {
            int id = Integer.parseInt(nameOrId);
            return vms.values().stream().filter(v -> v.id == id).findFirst();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Starts a stopped VM; throws IllegalStateException/IllegalArgumentException with a user-facing message. */
    public void start(Vm vm) {
        start(vm, -1);
    }

    /**
     * vmctl receive: starts a stopped VM from the snapshot stream on {@code restoreFd} (the
     * caller keeps its copy) instead of booting it: new device processes on the VM's own
     * images and taps, guest state from the stream. {@link VmProcess#running} says whether it took.
     */
    public void receive(Vm vm, int restoreFd) {
        if (restoreFd < 0) throw new IllegalArgumentException("no snapshot stream");
        start(vm, restoreFd);
    }

    private void start(Vm vm, int restoreFd) {
        if (vm.process != null) throw new IllegalStateException("vm is already running");
        VmConfig c = vm.config;
        if (c.boot() == null && c.disks().isEmpty() && c.cdrom() == null && c.firmware() == null && globalFirmware == null
                && !new java.io.File(VmResources.DEFAULT_FIRMWARE).exists()) {
            throw new IllegalArgumentException("no kernel or disk/cdrom specified");
        }
        if (vm.console == null) vm.console = Pty.open();
        VmParams params = new VmParams(c.name(), vm.id, c.effectiveMemory(), c.effectiveCpus(),
                c.cmdline() == null ? "" : c.cmdline(), bootDevice(c));
        List<Integer> vmEnds = new ArrayList<>();
        try (VmResources res = VmResources.open(c, globalFirmware)) {
            Map<String, Integer> fds = new LinkedHashMap<>(res.descriptors());
            fds.put(VmParams.FD_CONSOLE, vm.console.masterFd()); // the parent keeps its own copy
            if (restoreFd >= 0) fds.put(VmParams.FD_RESTORE, restoreFd);
            startDisks(vm, vmEnds);
            for (int i = 0; i < vmEnds.size(); i++) fds.put(VmParams.diskLabel(i), vmEnds.get(i));
            List<Integer> nicEnds = new ArrayList<>();
            try {
                startNics(vm, nicEnds);
                for (int i = 0; i < nicEnds.size(); i++) fds.put(VmParams.nicLabel(i), nicEnds.get(i));
            } finally {
                vmEnds.addAll(nicEnds); // closed below with the disks' ends
            }
            VmProcess p = new VmProcess(params, events, this);
            p.start(launcher, privileges, fds);
            vm.process = p;
            vm.state = VmState.STARTING;
            vm.stopRequested = false;
            log.info("{}: started vm {} (pid {}) console {}", c.name(), vm.id, p.pid(), vm.console.slavePath());
        } catch (RuntimeException e) {
            for (DeviceProcess d : vm.devices) d.release();
            vm.devices.clear();
            throw e;
        } finally {
            for (int fd : vmEnds) Fds.closeQuietly(fd);
        }
    }

    /** {@code boot device} for the vm process: "cdrom" only with a cdrom (which it finds last among the disks). */
    static String bootDevice(VmConfig c) {
        if (c.bootDevice() == null) return "";
        if (c.bootDevice() == vmd.parent.config.BootDevice.CDROM && c.cdrom() == null) return "";
        return c.bootDevice().keyword();
    }

    /**
     * One vioblk process per disk (and the cdrom, read-only): the parent opens the image
     * chain and a socketpair; the device gets the images and one end, the vm process the
     * other end ({@code vmEnds}) and never an image. Every image is opened before the
     * first device process starts, so a missing one fails the start with its name alone.
     */
    private void startDisks(Vm vm, List<Integer> vmEnds) {
        VmConfig c = vm.config;
        List<DiskConfig> disks = new ArrayList<>(c.disks());
        if (c.cdrom() != null) disks.add(new DiskConfig(c.cdrom(), DiskFormat.RAW));
        List<DiskImage> images = new ArrayList<>();
        try {
            for (int i = 0; i < disks.size(); i++) {
                boolean cdrom = c.cdrom() != null && i == disks.size() - 1;
                DiskImage image = DiskImage.open(disks.get(i).path(), disks.get(i).format(), cdrom);
                images.add(image);
            }
            for (int i = 0; i < disks.size(); i++) startDisk(vm, i, c.cdrom() != null && i == disks.size() - 1, images.get(i), vmEnds);
        } finally {
            for (DiskImage image : images) image.close();
        }
    }

    /** Disk {@code i}'s vioblk process, with the image chain the caller opened (and closes). */
    private void startDisk(Vm vm, int i, boolean cdrom, DiskImage image, List<Integer> vmEnds) {
        VmConfig c = vm.config;
        String devName = (cdrom ? "cdrom" : "disk" + i);
        Map<String, Integer> fds = new LinkedHashMap<>();
        for (int l = 0; l < image.fds().size(); l++) fds.put(VioblkParams.layerLabel(l), image.fds().get(l));
        DeviceProcess d = new DeviceProcess("vioblk", "vioblk " + c.name() + "/" + devName, VmParams.diskLabel(i),
                "vmd.vioblk.VioblkMain", fds, VioblkParams.FD_VHOST_USER,
                new VioblkParams(devName, cdrom, image.formats(), "vmd-" + c.name() + "-" + devName,
                        Math.min(c.effectiveCpus(), MAX_DISK_QUEUES)), restartBudget(vm, VmParams.diskLabel(i)));
        vm.devices.add(d); // released with the VM, or by start() if it fails to start
        vmEnds.add(d.start(launcher, privileges, events, status -> deviceExited(vm, d, status), spares));
    }

    /**
     * One vionet process per interface: the parent creates the tap (named, described,
     * up/down), numbers and configures a local interface's host side, puts the tap on its
     * switch's bridge, and hands the tap to the vionet process only; the vm process gets
     * the other end of the vhost-user socketpair ({@code vmEnds}). The parent's only copy
     * of the tap is the one its DeviceProcess keeps for restarts: the tap goes away with
     * the VM.
     */
    private void startNics(Vm vm, List<Integer> vmEnds) {
        VmConfig c = vm.config;
        if (c.interfaces().size() > VmParams.MAX_NICS) {
            throw new IllegalArgumentException("too many interfaces: " + c.interfaces().size() + " (at most " + VmParams.MAX_NICS + ")");
        }
        for (int i = 0; i < c.interfaces().size(); i++) {
            InterfaceConfig ifc = c.interfaces().get(i);
            String devName = "net" + i;
            SwitchConfig sw = ifc.switchName() == null ? null : findSwitch(ifc.switchName()).orElse(null);
            if (ifc.switchName() != null && sw == null) {
                log.warn("{}: interface {}: switch \"{}\" is not configured; not attached", c.name(), i, ifc.switchName());
            }
            // A missing VRF is refused before any tap exists.
            String vrf = ifc.hasRdomain() && sw == null ? Bridges.vrfFor(ifc.rdomain()) : null;
            if (sw != null && sw.hasRdomain()) Bridges.vrfFor(sw.rdomain());
            if (sw != null && ifc.hasRdomain() && !(sw.hasRdomain() && sw.rdomain() == ifc.rdomain())) {
                log.warn("{}: interface {}: rdomain {} ignored: a port of switch \"{}\" shares its bridge's routing domain",
                        c.name(), i, ifc.rdomain(), sw.name());
            }
            MacAddress mac = ifc.lladdr() != null ? ifc.lladdr() : generatedMac(c.name(), i);
            boolean locked = ifc.locked() || (sw != null && sw.lockedLladdr());
            int host = 0, guest = 0;
            if (ifc.local()) {
                host = LocalAddresses.address(localPrefix, vm.id, i, false);
                guest = LocalAddresses.address(localPrefix, vm.id, i, true);
            }
            byte[] host6 = ifc.local() && localPrefix6 != null ? LocalAddresses6.address(localPrefix6, localPrefix, vm.id, i, false) : null;
            int queues = Math.min(c.effectiveCpus(), MAX_NET_QUEUE_PAIRS);
            try (Tap tap = Tap.create(ifc.name(), "vm" + vm.id + "-if" + i + "-" + c.name(), ifc.up(), queues)) {
                if (ifc.local()) tap.addAddress(host, 31);
                if (sw != null) {
                    Bridges.ensure(sw);
                    Bridges.attach(sw, tap.name());
                } else if (vrf != null) {
                    IpCommand.run("link", "set", "dev", tap.name(), "master", vrf);
                }
                if (ifc.group() != null) Bridges.setGroup(tap.name(), ifc.group());
                MacAddress hostMac = tap.hostMac();
                if (host6 != null) {
                    // vionet advertises the tap's link-local address as the router: it must exist.
                    if (hostMac == null) throw new IllegalStateException(tap.name() + ": cannot read its link-layer address for local inet6");
                    LocalInet6.configure(tap.name(), host6, hostMac);
                }
                Map<String, Integer> fds = new LinkedHashMap<>();
                int[] tapFds = tap.fds();
                for (int q = 0; q < tapFds.length; q++) fds.put(VionetParams.tapLabel(q), tapFds[q]);
                DeviceProcess d = new DeviceProcess("vionet", "vionet " + c.name() + "/" + devName, VmParams.nicLabel(i),
                        "vmd.vionet.VionetMain", fds, VionetParams.FD_VHOST_USER,
                        new VionetParams(devName, c.name(), mac.bits(), locked, host, guest, hostMac == null ? 0 : hostMac.bits(),
                                tapFds.length, host6 == null ? null : LocalAddresses6.inet6(host6)),
                        restartBudget(vm, VmParams.nicLabel(i)));
                vm.devices.add(d);
                vmEnds.add(d.start(launcher, privileges, events, status -> deviceExited(vm, d, status), spares));
                log.info("{}: {} on {} lladdr {}{}{}{}{}", c.name(), devName, tap.name(), mac, locked ? " (locked)" : "",
                        sw != null ? " switch " + sw.name() + " (" + sw.ifname() + ")" : "",
                        ifc.local() ? " local " + LocalAddresses.text(guest) + " via " + LocalAddresses.text(host) : "",
                        host6 != null ? " inet6 " + LocalAddresses6.text(host6) + "/" + LocalAddresses6.PREFIX_LENGTH : "");
            }
        }
    }

    /**
     * A VM's MAC when vm.conf gives none: locally administered, unicast, and the same for
     * the same VM name and interface (stable across restarts): fe:e1:ba (as OpenBSD's
     * vmd's prefix) and three bytes of SHA-256(name/index).
     */
    static MacAddress generatedMac(String vmName, int nic) {
        byte[] h;
        try {
            h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((vmName + "/" + nic).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return MacAddress.of(new byte[] {(byte) 0xfe, (byte) 0xe1, (byte) 0xba, h[0], h[1], h[2]});
    }

    /**
     * A device process died while its VM runs: restart it with the same descriptors and
     * hand the vm process the new socket (it replays the vhost-user setup), within the
     * device's {@link RestartBudget}; past it, tell the vm process the device is gone for
     * good (a network link stays down, a disk needs reset). Status says which.
     */
    private void deviceExited(Vm vm, DeviceProcess d, vmd.sys.WaitStatus status) {
        if (!vm.devices.contains(d)) return; // a previous generation's device, already released
        VmProcess p = vm.process;
        if (p == null || vm.stopRequested) return; // the VM is ending; ended() releases it
        String what = d.name() + " " + status;
        if (d.mayRestart()) {
            try {
                d.restart(vmEnd -> {
                    try {
                        if (vm.process == p) p.reconnectDevice(d.vmLabel(), vmEnd);
                    } finally {
                        Fds.closeQuietly(vmEnd);
                    }
                });
                vm.lastReason = what + "; restarted";
                vm.deviceRestarts.merge(d.device(), 1L, Long::sum);
                log.warn("{}: device process {}; restarted", vm.name(), what);
                return;
            } catch (RuntimeException e) {
                what += "; restart failed: " + e.getMessage();
            }
        } else {
            what += "; not restarted (at most " + d.budget() + ")";
        }
        vm.devices.remove(d);
        d.release();
        vm.lastReason = what;
        log.error("{}: device process {}; the VM keeps running without it", vm.name(), what);
        p.deviceFailed(d.vmLabel(), what);
    }

    /** {@code vmctl log}: every running vm and device process follows the parent's level. */
    public void verbosity(int level) {
        for (Vm vm : vms.values()) {
            if (vm.process != null) vm.process.verbosity(level);
            for (DeviceProcess d : vm.devices) d.verbosity(level);
        }
    }

    /**
     * Each device's own crash-loop bound, the same one across the VM's reboots: the VM's
     * {@code device restarts}, else the global one in force when the device first started.
     */
    RestartBudget restartBudget(Vm vm, String label) {
        DeviceRestarts d = vm.config.deviceRestarts() != null ? vm.config.deviceRestarts() : deviceRestarts;
        return vm.restartBudgets.computeIfAbsent(label, l -> RestartBudget.of(d));
    }

    /**
     * vm.conf's global {@code device restarts} (default 3 per 60 s), for the devices of VMs
     * started from now on; a running VM keeps its budgets until it stops.
     */
    public void deviceRestarts(DeviceRestarts d) {
        this.deviceRestarts = java.util.Objects.requireNonNull(d, "deviceRestarts");
    }

    /** Graceful stop: ACPI power button, then forced after {@code timeoutMillis}. */
    public void stop(Vm vm, boolean force, int timeoutMillis) {
        if (vm.process == null) throw new IllegalStateException("vm is not running");
        vm.stopRequested = true;
        vm.state = VmState.STOPPING;
        if (force) vm.process.kill();
        else vm.process.shutdown(timeoutMillis);
    }

    /** The VM's current vm process, or null. */
    public VmProcess process(Vm vm) {
        return vm.process;
    }

    /** vmctl send: the running (or paused) VM's snapshot goes to {@code fd}; the VM ends if it is sent. */
    public CompletableFuture<vmd.imsg.CtlResult> send(Vm vm, int fd, boolean live) {
        if (vm.process == null || (vm.state != VmState.RUNNING && vm.state != VmState.PAUSED)) {
            throw new IllegalStateException("vm is not running");
        }
        return vm.process.send(fd, live);
    }

    public void pause(Vm vm) {
        if (vm.state != VmState.RUNNING) throw new IllegalStateException("vm is not running");
        vm.process.pause();
        vm.state = VmState.PAUSED;
    }

    public void unpause(Vm vm) {
        if (vm.state != VmState.PAUSED) throw new IllegalStateException("vm is not paused");
        vm.process.unpause();
        vm.state = VmState.RUNNING;
    }

    /** Completes when {@code vm} next stops (immediately if it is not running). */
    public CompletableFuture<Vm> awaitStop(Vm vm) {
        CompletableFuture<Vm> f = new CompletableFuture<>();
        if (vm.process == null) f.complete(vm);
        else waiters.computeIfAbsent(vm, k -> new ArrayList<>()).add(f);
        return f;
    }

    private Vm byProcess(VmProcess p) {
        for (Vm vm : vms.values()) if (vm.process == p) return vm;
        return null;
    }

    @Override
    public void started(VmProcess p, String summary) {
        Vm vm = byProcess(p);
        if (vm == null) return;
        if (vm.state == VmState.STARTING) vm.state = VmState.RUNNING;
        log.info("{}: {}", vm.name(), summary);
    }

    @Override
    public void ended(VmProcess p, VmTerminated how) {
        Vm vm = byProcess(p);
        if (vm == null) return;
        vm.process = null;
        vm.lastReason = how.reason();
        for (DeviceProcess d : vm.devices) d.release(); // they would exit on their own at EOF
        vm.devices.clear();
        log.info("{}: {} ({})", vm.name(), how.kind().name().toLowerCase(), how.reason());
        if (how.kind() == VmTerminated.ExitKind.REBOOT && !vm.stopRequested) {
            try {
                start(vm); // vmd restarts a rebooting guest on the same console
                return;
            } catch (RuntimeException e) {
                log.error("{}: restart after reboot failed: {}", vm.name(), e.getMessage());
            }
        }
        vm.state = VmState.STOPPED;
        vm.restartBudgets.clear();
        List<CompletableFuture<Vm>> w = waiters.remove(vm);
        if (w != null) w.forEach(f -> f.complete(vm));
    }
}

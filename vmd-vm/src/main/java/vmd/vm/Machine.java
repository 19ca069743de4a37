package vmd.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.VmParams;
import vmd.imsg.VmTerminated;
import vmd.imsg.VmTerminated.ExitKind;
import vmd.memory.GuestMemory;
import vmd.sys.Fds;
import vmd.vm.boot.BootImage;
import vmd.vm.boot.CpuState;
import vmd.vm.boot.E820Entry;
import vmd.vm.boot.LinuxBoot;
import vmd.vm.boot.MemoryMap;
import vmd.vm.devices.AcpiPm;
import vmd.vm.devices.CmosRtc;
import vmd.vm.devices.FwCfg;
import vmd.vm.devices.I8042;
import vmd.vm.devices.InterruptLine;
import vmd.vm.devices.MmioBus;
import vmd.vm.devices.PortBus;
import vmd.vm.devices.PowerControl;
import vmd.vm.devices.PtyConsole;
import vmd.vm.devices.Uart16550;
import vmd.vm.kvm.CpuidTable;
import vmd.vm.kvm.Kvm;
import vmd.vm.kvm.KvmVm;
import vmd.vm.kvm.Vcpu;
import vmd.vm.kvm.VcpuThread;
import vmd.vm.pci.PciBus;
import vmd.vm.virtio.KvmInterruptRouting;
import vmd.vm.virtio.VirtioPciTransport;
import vmd.vm.virtio.VirtioRng;
import vmd.vm.vhostuser.DeviceBackends;
import vmd.vm.vhostuser.VhostUserFrontendDevice;
import vmd.virtio.VirtioIds;

/**
 * One virtual machine: guest RAM, the KVM VM with its in-kernel interrupt controllers,
 * the platform devices, the boot image, and a thread per vCPU. It ends exactly once,
 * with a {@link VmTerminated} saying how (power-off, reboot, killed, error).
 */
public final class Machine implements PowerControl {
    private static final Logger log = LoggerFactory.getLogger(Machine.class);
    /** SeaBIOS's debug console (QEMU's isa-debugcon), and the POST code port. */
    private static final int DEBUG_PORT = 0x402, POST_PORT = 0x80;

    private final VmParams params;
    private final Kvm kvm;
    private final MachineFds fds;
    private final PortBus ports = new PortBus();
    private final MmioBus mmio = new MmioBus();
    private final List<VcpuThread> vcpus = new ArrayList<>();
    private final CompletableFuture<VmTerminated> end = new CompletableFuture<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "machine-timers");
        t.setDaemon(true);
        return t;
    });
    private KvmVm vm;
    private GuestMemory memory;
    private Uart16550 uart;
    private PtyConsole console;
    private AcpiPm acpi;
    private VirtioPciTransport rng;
    private final List<VirtioPciTransport> transports = new ArrayList<>();
    private final DeviceBackends backends = new DeviceBackends();
    /** PCI slots of the disks (the cdrom, if any, last) and network interfaces, for SeaBIOS's boot order. */
    private final List<Integer> diskSlots = new ArrayList<>(), nicSlots = new ArrayList<>();
    private BootImage.Plan plan;
    private volatile boolean stopping;
    private PciBus pci;
    private CmosRtc rtc;
    private I8042 i8042;
    private FwCfg fwCfg;
    /** vCPUs created for a restore before their state arrives. */
    private final List<Vcpu> prepared = new ArrayList<>();
    /** Each vCPU's CPUID table as set, for a snapshot. */
    private final List<CpuidTable> cpuids = new ArrayList<>();
    /** Sends one snapshot at a time. */
    private final Object snapshotLock = new Object();
    /** Every vCPU's exits by reason, for metrics; kept across a restore's new vCPU threads. */
    private final VcpuExitCounts exitCounts = new VcpuExitCounts();

    private Machine(VmParams params, Kvm kvm, MachineFds fds) {
        this.params = params;
        this.kvm = kvm;
        this.fds = fds;
    }

    static Machine create(VmParams params, MachineFds fds) {
        if (fds.kvm() < 0) throw new IllegalStateException("no /dev/kvm descriptor from the parent");
        if (fds.boot() < 0) throw new IllegalStateException("no boot image descriptor from the parent");
        return new Machine(params, Kvm.adopt(fds.kvm()), fds);
    }

    /** Builds the machine and starts every vCPU; errors here come before any guest code runs. */
    void start() {
        long ram = params.memoryBytes();
        memory = GuestMemory.create("vm-" + params.name(), MemoryMap.ramRegions(ram));
        vm = kvm.createVm();
        vm.createPlatform();
        vm.setMemory(memory);
        KvmInterruptRouting routing = new KvmInterruptRouting(vm); // owns the GSI routing table
        platformDevices(ram);
        pci = new PciBus(mmio, ports, this::gsiLine);
        pci.setResetControl(this);
        rng = new VirtioPciTransport(new VirtioRng(memory, new SecureRandom()), routing);
        pci.add(rng);
        for (int i = 0; i < fds.disks().size(); i++) {
            // The disk's vioblk process serves the rings; this process only owns the transport.
            VhostUserFrontendDevice disk = new VhostUserFrontendDevice(memory, fds.disks().get(i),
                    new VhostUserFrontendDevice.Options("vioblk" + i, VirtioIds.BLOCK, 0, 256, 60, 10_000));
            backends.add(VmParams.diskLabel(i), disk);
            transports.add(new VirtioPciTransport(disk, routing));
            diskSlots.add(pci.add(transports.get(transports.size() - 1)));
        }
        for (int i = 0; i < fds.nics().size(); i++) {
            // The interface's vionet process serves the rings and holds the tap.
            VhostUserFrontendDevice nic = new VhostUserFrontendDevice(memory, fds.nics().get(i),
                    new VhostUserFrontendDevice.Options("vionet" + i, VirtioIds.NET, 0, 1024, 12, 10_000));
            backends.add(VmParams.nicLabel(i), nic);
            transports.add(new VirtioPciTransport(nic, routing));
            nicSlots.add(pci.add(transports.get(transports.size() - 1)));
        }

        byte[] image = readAll(fds.boot(), "boot image");
        byte[] initrd = fds.initrd() >= 0 ? readAll(fds.initrd(), "initrd") : null;
        String cmdline = params.cmdline().isEmpty() ? LinuxBoot.DEFAULT_CMDLINE : params.cmdline();
        boolean restoring = fds.restore() >= 0;
        // a restored VM's memory comes from the stream: the image only says what to map
        plan = restoring ? BootImage.planOnly(image) : BootImage.load(memory, image, ram, params.vcpus(), cmdline, initrd);
        plan.flash().ifPresent(fw -> vm.mapRom(fw.flashAddress(), fw.image()));
        byte[] netRom = fds.netRom() >= 0 ? readAll(fds.netRom(), "network option ROM") : null;
        if (plan.kind() == BootImage.Kind.FIRMWARE) {
            FwCfg fw = firmwareConfig(ram);
            fwCfg = fw;
            // SeaBIOS runs fw_cfg's "pciVVVV,DDDD.rom" as the option ROM of every such device (optionrom.c).
            if (netRom != null && !fds.nics().isEmpty()) {
                java.util.HexFormat hex = java.util.HexFormat.of();
                fw.addFile("pci" + hex.toHexDigits((short) VirtioIds.PCI_VENDOR) + ","
                        + hex.toHexDigits((short) VirtioIds.pciDeviceId(VirtioIds.NET)) + ".rom", netRom);
            }
            ports.register(FwCfg.IO_BASE, FwCfg.IO_LENGTH, fw);
            ports.register(FwCfg.DMA_PORT, FwCfg.DMA_LENGTH, fw);
        } else {
            // No firmware will assign BARs: do what it would.
            pci.assignResources(MemoryMap.PCI_MMIO_START, MemoryMap.PCI_MMIO_END - MemoryMap.PCI_MMIO_START);
        }
        if (restoring) restoreFrom(fds.restore());
        else createVcpus();
        for (VcpuThread t : vcpus) t.start();
    }

    private void platformDevices(long ram) {
        console = new PtyConsole(fds.console() >= 0 ? fds.console() : Fds.open("/dev/null", Fds.O_RDWR));
        uart = new Uart16550(Uart16550.COM1_BASE, gsiLine(Uart16550.COM1_IRQ), console);
        ports.register(Uart16550.COM1_BASE, Uart16550.PORT_COUNT, uart);
        console.startReader(uart);
        List<CmosRtc.BootDevice> order = switch (params.bootDevice()) {
            case "cdrom" -> List.of(CmosRtc.BootDevice.CDROM, CmosRtc.BootDevice.DISK);
            case "net" -> List.of(CmosRtc.BootDevice.NET, CmosRtc.BootDevice.DISK);
            default -> List.of(CmosRtc.BootDevice.DISK, CmosRtc.BootDevice.CDROM);
        };
        rtc = new CmosRtc(new CmosRtc.Config(MemoryMap.lowRamEnd(ram), MemoryMap.highRamSize(ram), params.vcpus(), order));
        ports.register(CmosRtc.INDEX_PORT, CmosRtc.PORT_COUNT, rtc);
        i8042 = new I8042(this);
        ports.register(I8042.DATA_PORT, 1, i8042);
        ports.register(I8042.COMMAND_PORT, 1, i8042);
        acpi = new AcpiPm(gsiLine(AcpiPm.SCI_IRQ), this);
        for (int[] r : AcpiPm.PORT_RANGES) ports.register(r[0], r[1], acpi);
        ports.register(DEBUG_PORT, 1, new DebugPort(params.name()));
        ports.register(POST_PORT, 1, new DebugPort(null));
    }

    /**
     * What SeaBIOS reads through fw_cfg: RAM as QEMU describes it (SeaBIOS reserves its
     * own areas), its text output mirrored to COM1 (so the banner reaches the console),
     * and a short wait before it retries a failed boot.
     */
    private FwCfg firmwareConfig(long ram) {
        FwCfg fw = new FwCfg(memory, params.vcpus(), params.vcpus());
        List<E820Entry> e820 = new ArrayList<>();
        e820.add(new E820Entry(0, MemoryMap.lowRamEnd(ram), E820Entry.RAM));
        if (MemoryMap.highRamSize(ram) > 0) e820.add(new E820Entry(MemoryMap.HIGH_RAM_START, MemoryMap.highRamSize(ram), E820Entry.RAM));
        fw.addFile("etc/e820", FwCfg.e820(e820));
        fw.addFile("etc/sercon-port", FwCfg.le16(Uart16550.COM1_BASE));
        fw.addFile("etc/boot-fail-wait", FwCfg.le32(5000)); // milliseconds
        String order = bootOrder(params.bootDevice(), diskSlots, nicSlots);
        if (!order.isEmpty()) fw.addFile("bootorder", order.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return fw;
    }

    /**
     * SeaBIOS's "bootorder" file: the device vm.conf's {@code boot device} names first, as
     * an Open Firmware path ({@code /pci@i0cf8/*@SLOT}, how SeaBIOS names a virtio-pci
     * device on bus 0); devices not listed boot after it in their usual order. Every
     * virtio disk is a hard disk to SeaBIOS, so without this a cdrom never beats a disk.
     * The parent sends "cdrom" only with a cdrom, which is the last disk.
     */
    static String bootOrder(String bootDevice, List<Integer> diskSlots, List<Integer> nicSlots) {
        Integer first = switch (bootDevice) {
            case "cdrom" -> diskSlots.isEmpty() ? null : diskSlots.get(diskSlots.size() - 1);
            case "disk" -> diskSlots.isEmpty() ? null : diskSlots.get(0);
            case "net" -> nicSlots.isEmpty() ? null : nicSlots.get(0);
            default -> null;
        };
        return first == null ? "" : "/pci@i0cf8/*@" + Integer.toHexString(first) + "\n";
    }

    private InterruptLine gsiLine(int gsi) {
        return level -> vm.irqLine(gsi, level);
    }

    private void createVcpus() {
        CpuidTable supported = kvm.supportedCpuid();
        VcpuExits exits = new VcpuExits(this, ports, mmio);
        for (int id = 0; id < params.vcpus(); id++) {
            Vcpu vcpu = vm.createVcpu(id);
            cpuids.add(VcpuInit.configure(vcpu, supported, params.vcpus()));
            if (id == 0 && plan.bsp() instanceof CpuState state) VcpuInit.load(vcpu, state);
            vcpus.add(new VcpuThread(vcpu, exits, t -> fail("vcpu " + vcpu.id() + ": " + t)));
        }
    }

    // ---- snapshots (vmctl send / receive) ----

    private MachineSnapshot.Shape shape() {
        return new MachineSnapshot.Shape(params.memoryBytes(), params.vcpus(), fds.disks().size(), fds.nics().size(),
                plan.kind().name().toLowerCase());
    }

    /** Every device with state, by the name its section carries. */
    private java.util.Map<String, vmd.vm.snapshot.Snapshotted> devices() {
        java.util.Map<String, vmd.vm.snapshot.Snapshotted> d = new java.util.LinkedHashMap<>();
        d.put("uart", uart);
        d.put("rtc", rtc);
        d.put("i8042", i8042);
        d.put("acpi", acpi);
        if (fwCfg != null) d.put("fwcfg", fwCfg);
        d.put("pci", pci);
        java.util.HexFormat hex = java.util.HexFormat.of();
        d.put("pci." + hex.toHexDigits((byte) rng.slot()), rng);
        for (VirtioPciTransport t : transports) d.put("pci." + hex.toHexDigits((byte) t.slot()), t);
        return d;
    }

    /**
     * vmctl send: pauses the guest, stops every device queue (so nothing writes guest
     * memory), and writes the whole machine to {@code fd}. On success the VM ends
     * ("sent"); if anything fails the devices go on and the guest runs again, as it was.
     * Returns a one-line summary.
     */
    String sendTo(int fd) {
        synchronized (snapshotLock) {
            if (stopping) throw new vmd.vm.snapshot.SnapshotException("the vm is stopping");
            long t0 = System.nanoTime();
            boolean wasPaused = stopForSnapshot();
            try {
                vmd.vm.snapshot.SnapshotWriter out = stateWriter();
                long pages = MachineSnapshot.writeMemory(out, memory);
                long bytes = MachineSnapshot.write(out, new vmd.vm.snapshot.StreamFd(fd));
                String summary = String.format("sent %d MiB (%d pages of guest memory) in %d ms", bytes >> 20, pages,
                        (System.nanoTime() - t0) / 1_000_000);
                log.info("vm {}: {}", params.name(), summary);
                return summary; // the caller ends the VM once vmctl has the answer
            } catch (RuntimeException e) {
                log.warn("vm {}: send failed, resuming: {}", params.name(), e.getMessage());
                resumeAfterSnapshot(wasPaused);
                throw e;
            }
        }
    }

    /**
     * vmctl send -l: a live migration to the destination on {@code fd} (a connected
     * socket); the guest runs until the last round. Returns the summary line.
     */
    String migrateTo(int fd) {
        synchronized (snapshotLock) {
            if (stopping) throw new vmd.vm.snapshot.SnapshotException("the vm is stopping");
            boolean[] wasPaused = new boolean[1];
            LiveMigration.Result r = new LiveMigration(new LiveMigration.Machine() {
                public KvmVm vm() {
                    return vm;
                }

                public GuestMemory memory() {
                    return memory;
                }

                public vmd.vm.snapshot.SnapshotWriter hello() {
                    return helloWriter();
                }

                public vmd.vm.snapshot.SnapshotWriter state() {
                    return stateWriter();
                }

                public List<VhostUserFrontendDevice> vhostUserDevices() {
                    return backends.devices();
                }

                public VirtioRng rng() {
                    return (VirtioRng) rng.device();
                }

                public void stop() {
                    wasPaused[0] = stopForSnapshot();
                }

                public void resume() {
                    resumeAfterSnapshot(wasPaused[0]);
                }
            }, fd).run();
            log.info("vm {}: {}", params.name(), r.summary());
            return r.summary();
        }
    }

    /** Pauses the vCPUs and stops every device queue; returns whether the guest was paused already. */
    private boolean stopForSnapshot() {
        boolean wasPaused = !vcpus.isEmpty() && vcpus.get(0).paused();
        pause();
        rng.quiesce();
        for (VirtioPciTransport t : transports) t.quiesce();
        return wasPaused;
    }

    private void resumeAfterSnapshot(boolean wasPaused) {
        rng.resume();
        for (VirtioPciTransport t : transports) t.resume();
        if (!wasPaused) unpause();
    }

    /** The sections that say what machine this is: its shape and each vCPU's CPUID. */
    private vmd.vm.snapshot.SnapshotWriter helloWriter() {
        vmd.vm.snapshot.SnapshotWriter out = new vmd.vm.snapshot.SnapshotWriter();
        vmd.vm.snapshot.StateWriter machine = new vmd.vm.snapshot.StateWriter().string(params.name());
        shape().write(machine);
        out.add(vmd.vm.snapshot.SnapshotFormat.Kind.MACHINE, 0, machine.toByteArray());
        for (int i = 0; i < cpuids.size(); i++) MachineSnapshot.writeCpuid(out, i, cpuids.get(i));
        return out;
    }

    /** Everything but memory: shape, CPUID and KVM state per vCPU, the chips, every device. Guest paused, devices stopped. */
    private vmd.vm.snapshot.SnapshotWriter stateWriter() {
        vmd.vm.snapshot.SnapshotWriter out = helloWriter();
        int[] msrs = kvm.msrIndexList();
        for (VcpuThread t : vcpus) MachineSnapshot.writeVcpu(out, t.vcpu(), msrs);
        MachineSnapshot.writeChips(out, vm);
        devices().forEach((name, dev) -> out.device(0, name, dev));
        return out;
    }

    /** Ends the VM after a successful {@link #sendTo}: its state now lives in the stream. */
    void sent() {
        finish(ExitKind.KILLED, "sent");
    }

    /**
     * vmctl receive: instead of booting, takes memory, vCPUs, chips and devices from the
     * stream. Runs before any vCPU thread exists; any mismatch fails the start.
     */
    private void restoreFrom(int fd) {
        long t0 = System.nanoTime();
        CpuidTable supported = kvm.supportedCpuid();
        String[] from = new String[1];
        java.util.function.Consumer<vmd.vm.snapshot.SnapshotReader> check = state -> {
            // refuse before reading memory: the wrong shape, or CPU features this host lacks
            vmd.vm.snapshot.StateReader m = state.section(vmd.vm.snapshot.SnapshotFormat.Kind.MACHINE, 0);
            from[0] = m.string();
            List<String> diff = MachineSnapshot.Shape.read(m).differences(shape());
            m.end();
            if (!diff.isEmpty()) {
                throw new vmd.vm.snapshot.SnapshotException("the snapshot of " + from[0] + " does not fit this VM: " + String.join("; ", diff));
            }
            for (int id = 0; id < params.vcpus(); id++) cpuids.add(MachineSnapshot.cpuid(state, id, supported));
            // The vCPUs with their CPUID need no state: made now, while a live migration's rounds still run.
            for (int id = 0; id < params.vcpus(); id++) {
                Vcpu vcpu = vm.createVcpu(id);
                vcpu.setCpuid(cpuids.get(id));
                prepared.add(vcpu);
            }
        };
        vmd.vm.snapshot.StreamFd stream = new vmd.vm.snapshot.StreamFd(fd);
        byte[] magic = stream.read(8);
        boolean live = vmd.vm.snapshot.MigrationStream.isMigration(magic);
        vmd.vm.snapshot.SnapshotReader in;
        long applyFrom;
        try {
            if (live) {
                in = MigrationReceiver.receive(stream, memory, check);
            } else {
                stream.unread(magic);
                in = vmd.vm.snapshot.SnapshotReader.read(stream, memory, check);
            }
            applyFrom = System.nanoTime();
            restoreState(in);
        } catch (RuntimeException e) {
            if (live) answerQuietly(stream, 1, e.getMessage());
            Fds.closeQuietly(fd);
            throw e;
        }
        if (live) {
            answerQuietly(stream, 0, "running"); // the source ends its VM on this answer
            log.info("vm {}: answered the migration {} us after its state arrived", params.name(), (System.nanoTime() - applyFrom) / 1000);
        }
        Fds.closeQuietly(fd);
        log.info("vm {}: restored from {} of {}: {} MiB, {} pages of guest memory, in {} ms", params.name(),
                live ? "a live migration" : "a snapshot", from[0], stream.transferred() >> 20, in.pagesRead(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static void answerQuietly(vmd.vm.snapshot.StreamFd stream, int code, String message) {
        try {
            vmd.vm.snapshot.MigrationStream.writeAck(stream, code, String.valueOf(message));
        } catch (RuntimeException e) {
            log.warn("the migration source did not take the answer: {}", e.getMessage());
        }
    }

    /** vCPUs, chips and devices from {@code in}; guest memory is already in place. */
    private void restoreState(vmd.vm.snapshot.SnapshotReader in) {
        VcpuExits exits = new VcpuExits(this, ports, mmio);
        for (Vcpu vcpu : prepared) {
            MachineSnapshot.restoreCpu(in, vcpu);
            vcpus.add(new VcpuThread(vcpu, exits, t -> fail("vcpu " + vcpu.id() + ": " + t)));
        }
        MachineSnapshot.restoreChips(in, vm);
        devices().forEach(in::restoreDevice);
        if (!in.unusedDevices().isEmpty()) {
            throw new vmd.vm.snapshot.SnapshotException("the snapshot has devices this VM lacks: " + in.unusedDevices());
        }
    }

    private static byte[] readAll(int fd, String what) {
        try (var in = new java.io.FileInputStream("/proc/self/fd/" + fd)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the " + what + ": " + e.getMessage(), e);
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    String summary() {
        return plan.kind().name().toLowerCase(java.util.Locale.ROOT) + " boot, " + params.vcpus() + " vcpu"
                + (params.vcpus() == 1 ? "" : "s") + ", " + (params.memoryBytes() >> 20) + " MB, console on COM1";
    }

    boolean stopping() {
        return stopping;
    }

    VcpuExitCounts exitCounts() {
        return exitCounts;
    }

    /** Ends the VM with {@code how}; the first call wins. */
    private void finish(ExitKind kind, String why) {
        synchronized (this) {
            if (stopping) return;
            stopping = true;
        }
        for (VcpuThread t : vcpus) t.requestStop();
        end.complete(new VmTerminated(kind, why));
    }

    @Override
    public void powerOff(String why) {
        finish(ExitKind.POWEROFF, why);
    }

    @Override
    public void reset(String why) {
        finish(ExitKind.REBOOT, why);
    }

    void fail(String why) {
        finish(ExitKind.ERROR, why);
    }

    void kill(String why) {
        finish(ExitKind.KILLED, why);
    }

    /** {@code vmctl stop}: press the ACPI power button; force the VM off after the timeout. */
    void shutdown(long timeout, TimeUnit unit) {
        log.info("vm {}: asking the guest to shut down (ACPI power button)", params.name());
        acpi.pressPowerButton();
        timers.schedule(() -> kill("did not shut down within " + unit.toSeconds(timeout) + " s; forced off"), timeout, unit);
    }

    /** The devices whose back-ends the parent restarts. */
    DeviceBackends backends() {
        return backends;
    }

    void pause() {
        for (VcpuThread t : vcpus) t.pause();
    }

    void unpause() {
        for (VcpuThread t : vcpus) t.unpause();
    }

    /** Waits for the end, then for every vCPU to leave the guest. */
    VmTerminated awaitEnd() throws InterruptedException {
        VmTerminated how;
        try {
            how = end.get();
        } catch (java.util.concurrent.ExecutionException e) {
            how = new VmTerminated(ExitKind.ERROR, String.valueOf(e.getCause()));
        }
        for (VcpuThread t : vcpus) t.join();
        if (rng != null) rng.close();
        for (VirtioPciTransport t : transports) t.close();
        console.close();
        return how;
    }

    /** Port 0x402: SeaBIOS's debug log, logged line by line; port 0x80 POST codes, ignored. */
    private static final class DebugPort implements vmd.vm.devices.PortIoDevice {
        private final String vmName;
        private final StringBuilder line = new StringBuilder();

        DebugPort(String vmName) {
            this.vmName = vmName;
        }

        @Override
        public int read(int port, int size) {
            return vmName == null ? 0xff : 0xe9; // QEMU's debugcon answers its own port number
        }

        @Override
        public synchronized void write(int port, int size, int value) {
            if (vmName == null) return;
            char c = (char) (value & 0xff);
            if (c == '\n' || line.length() > 200) {
                log.debug("vm {} firmware: {}", vmName, line);
                line.setLength(0);
            } else if (c != '\r') {
                line.append(c);
            }
        }
    }

}

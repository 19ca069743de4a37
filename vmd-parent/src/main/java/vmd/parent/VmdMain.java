package vmd.parent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import vmd.imsg.CtlResult;
import vmd.parent.config.ConfigParser;
import vmd.parent.config.Diagnostic;
import vmd.parent.config.IpPrefix;
import vmd.parent.config.ParseResult;
import vmd.parent.config.VmConfig;
import vmd.parent.config.VmdConfig;
import vmd.parent.control.ConsoleTty;
import vmd.parent.control.ControlProcess;
import vmd.parent.control.ControlRequests;
import vmd.parent.control.ControlSocket;
import vmd.parent.control.Identities;
import vmd.parent.metrics.MetricsListeners;
import vmd.parent.metrics.StatsCollector;
import vmd.parent.vms.Vm;
import vmd.parent.vms.VmRegistry;
import vmd.parent.vms.VmState;
import vmd.proc.ChildLauncher;
import vmd.proc.JvmCommand;
import vmd.proc.Logging;
import vmd.proc.Privileges;
import vmd.proc.Reaper;

/**
 * vmd(8), the parent process: reads vm.conf, creates the control socket and the control
 * process, opens what VMs need, spawns their processes and keeps them running. Everything
 * that changes state runs on one event thread, which is also the thread children are
 * spawned from (their parent-death signal is tied to it).
 */
public final class VmdMain implements ControlRequests.Daemon {
    private static final Logger log = LoggerFactory.getLogger(VmdMain.class);
    /** Forced after this long at SIGTERM even if a guest ignores its power button. */
    static final int SHUTDOWN_TIMEOUT_MS = VmRegistry.DEFAULT_STOP_TIMEOUT_MS;

    public static void main(String[] args) throws Exception {
        VmdOptions opts;
        try {
            opts = VmdOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        if (opts.verbose() > 0) Logging.setLevel(opts.verbose() > 1 ? "TRACE" : "DEBUG");
        ParseResult parsed = ConfigParser.parse(opts.configFile(), opts.defines());
        if (opts.checkOnly()) System.exit(check(parsed, opts));
        if (!parsed.ok()) {
            parsed.errors().forEach(e -> System.err.println(e));
            System.exit(1);
        }
        String noUser = ChildUser.missing(parsed.config().user());
        if (noUser != null) {
            System.err.println("vmd: " + noUser); // before anything is spawned
            System.exit(1);
        }
        if (!opts.foreground() && !Daemonizer.isDaemonCopy()) {
            System.exit(Daemonizer.spawnAndWait(opts.foregroundArgs()));
            return;
        }
        if (!Files.exists(opts.configFile())) log.warn("{} not found: starting with no VMs", opts.configFile());
        // As OpenBSD's: warnings are for vmd -n, and -v. What matters at run time is said then
        // (a VM whose image is missing is "not started", naming the image).
        parsed.warnings().forEach(w -> log.debug("{}", w));
        VmdMain vmd = new VmdMain(opts, parsed.config());
        try {
            vmd.run();
        } catch (Exception e) {
            System.err.println("vmd: " + e.getMessage());
            log.error("vmd: {}", e.getMessage());
            System.exit(1);
        }
    }

    /**
     * {@code vmd -n}: report every problem in OpenBSD's format, or "configuration OK". The
     * status is 1 exactly when vmd would refuse to start: an error in the file, or a child
     * user that does not exist (as OpenBSD's vmd checks its user even with -n). An image
     * that cannot be opened is a warning: only the VM that needs it would not start.
     */
    static int check(ParseResult parsed, VmdOptions opts) {
        for (Diagnostic w : parsed.warnings()) System.err.println(w);
        for (Diagnostic e : parsed.errors()) System.err.println(e);
        String noUser = parsed.ok() ? ChildUser.missing(parsed.config().user()) : null;
        if (noUser != null) System.err.println("vmd: " + noUser);
        if (!parsed.ok() || noUser != null) return 1;
        System.err.println("configuration OK");
        return 0;
    }

    private final VmdOptions opts;
    private VmdConfig config;
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> new Thread(r, "vmd-events"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmd-timer");
        t.setDaemon(true);
        return t;
    });
    private final ChildLauncher launcher = new ChildLauncher(JvmCommand.current(), new Reaper());
    private final VmRegistry registry;
    private final Identities ids = Identities.system();
    private ControlSocket socket;
    private ControlProcess control;
    private ControlRequests requests;
    private final MetricsListeners metrics = new MetricsListeners();
    /** VMs whose vm.conf entry went away at a reload: forgotten once they stop. */
    private final Set<String> orphans = new HashSet<>();
    private boolean shuttingDown;
    private IpPrefix autoPrefix6;

    private VmdMain(VmdOptions opts, VmdConfig config) {
        this.opts = opts;
        this.config = config;
        this.registry = new VmRegistry(events, launcher, Privileges.of(config.user()), config.firmware());
        registry.network(config.localPrefix(), config.switches());
        registry.inet6(localPrefix6(config));
        registry.deviceRestarts(config.deviceRestarts());
    }

    /** {@code local inet6}'s prefix; without one, a random ULA prefix made once per daemon, as OpenBSD's vmd. */
    private IpPrefix localPrefix6(VmdConfig c) {
        if (!c.localInet6()) return null;
        if (c.localPrefix6() != null) return c.localPrefix6();
        if (autoPrefix6 == null) autoPrefix6 = vmd.parent.priv.LocalAddresses6.randomPrefix();
        return autoPrefix6;
    }

    private void run() throws Exception {
        if (Daemonizer.isDaemonCopy()) Daemonizer.redirectToSyslog();
        socket = ControlSocket.open(ControlSocket.resolve(opts.socket()), config.socketOwner());
        Runtime.getRuntime().addShutdownHook(new Thread(socket::close));
        control = new ControlProcess(launcher, Privileges.of(config.user()), socket, events, timer, opts.verbose());
        requests = new ControlRequests(registry, this, ids, control::send);
        control.onRequest(requests::handle);
        metrics.apply(config.metrics(), config.socketOwner()); // before any child: a port in use is vmd's error
        Runtime.getRuntime().addShutdownHook(new Thread(metrics::close));
        control.metrics(metrics.endpoints());
        control.onScrape(new StatsCollector(registry, control::pid, control::send)::scrape);
        Signal.handle(new Signal("TERM"), s -> events.execute(this::shutdownAll));
        Signal.handle(new Signal("INT"), s -> events.execute(this::shutdownAll));
        Signal.handle(new Signal("HUP"), s -> events.execute(() -> {
            CtlResult r = reload();
            if (r.code() != 0) log.error("reload failed: {}", r.message());
        }));
        events.submit(() -> {
            control.start();
            // Spares after the switch to syslog: a spare becomes a device process, and no
            // child may keep the starting terminal as its stdio.
            registry.spareDevices(config.spareDevices());
            registry.define(config.vms(), config.firmware());
            for (VmConfig c : config.vms()) loadedNames.add(c.name());
        }).get();
        log.info("startup: control socket {}", socket.path());
        try {
            control.ready().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("the control process did not start: " + e);
        }
        if (Daemonizer.isDaemonCopy()) Daemonizer.announce(opts.pidFile());
        events.execute(this::staggeredStart);
        events.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
    }

    /**
     * {@code staggered start parallel N delay S}: N enabled VMs at once, then S seconds, then
     * the next N (default: as many as there are CPUs, 30 s), as OpenBSD's vmd_start_staggered.
     */
    private void staggeredStart() {
        List<Vm> todo = new ArrayList<>();
        for (Vm vm : registry.all()) if (vm.state() == VmState.STOPPED && vm.config().enabled()) todo.add(vm);
        VmdConfig.StaggeredStart ss = config.staggeredStart();
        int parallel = ss != null ? ss.parallelism() : Runtime.getRuntime().availableProcessors();
        int delay = ss != null ? ss.delaySeconds() : 30;
        startBatch(todo, 0, Math.max(1, parallel), delay);
    }

    private void startBatch(List<Vm> todo, int from, int parallel, int delay) {
        int end = Math.min(todo.size(), from + parallel);
        for (int i = from; i < end; i++) startQuietly(todo.get(i));
        if (end < todo.size()) {
            log.debug("staggered start: next {} vms in {} s", parallel, delay);
            timer.schedule(() -> events.execute(() -> {
                if (!shuttingDown) startBatch(todo, end, parallel, delay);
            }), delay, TimeUnit.SECONDS);
        }
    }

    private void startQuietly(Vm vm) {
        if (shuttingDown || vm.pid() > 0) return;
        try {
            registry.start(vm);
            started(vm);
        } catch (RuntimeException e) {
            log.error("{}: not started: {}", vm.name(), e.getMessage());
        }
    }

    // ---- ControlRequests.Daemon, on the event thread ----

    @Override
    public String firmware() {
        return config.firmware();
    }

    @Override
    public void started(Vm vm) {
        ConsoleTty.grant(vm, ids);
    }

    /** SIGHUP and vmctl reload: new VMs are added and started if enabled; running ones are untouched. */
    @Override
    public CtlResult reload() {
        ParseResult parsed = ConfigParser.parse(opts.configFile(), opts.defines());
        if (!parsed.ok()) {
            parsed.errors().forEach(e -> log.error("{}", e));
            return CtlResult.fail(22, "failed to reload " + opts.configFile() + ": " + parsed.errors().get(0));
        }
        String noUser = ChildUser.missing(parsed.config().user());
        if (noUser != null) {
            log.error("{}", noUser);
            return CtlResult.fail(22, "failed to reload " + opts.configFile() + ": " + noUser);
        }
        parsed.warnings().forEach(w -> log.debug("{}", w));
        try {
            // First, so that a port that cannot be bound leaves the whole configuration as it was.
            if (metrics.apply(parsed.config().metrics(), parsed.config().socketOwner())) control.metrics(metrics.endpoints());
        } catch (IOException e) {
            log.error("reload: {}", e.getMessage());
            return CtlResult.fail(22, "failed to reload " + opts.configFile() + ": " + e.getMessage());
        }
        config = parsed.config();
        registry.privileges(Privileges.of(config.user()));
        registry.network(config.localPrefix(), config.switches());
        registry.inet6(localPrefix6(config));
        registry.deviceRestarts(config.deviceRestarts());
        registry.spareDevices(config.spareDevices());
        try {
            socket.owner(config.socketOwner());
        } catch (IOException e) {
            log.warn("control socket owner: {}", e.toString());
        }
        Set<String> names = new HashSet<>();
        for (VmConfig c : config.vms()) names.add(c.name());
        for (Vm vm : registry.all()) {
            if (names.contains(vm.name()) || vm.config().isInstance() || orphans.contains(vm.name())) continue;
            if (vm.pid() < 0) {
                if (wasFromConfig(vm)) registry.remove(vm);
            } else if (wasFromConfig(vm)) {
                orphans.add(vm.name());
                registry.awaitStop(vm).thenAccept(v -> {
                    orphans.remove(v.name());
                    registry.remove(v);
                });
            }
        }
        addAndStart(config.vms());
        log.info("reloaded {}", opts.configFile());
        return CtlResult.ok();
    }

    /** Config VMs have owner and name from vm.conf; vmctl-created ones are tracked by ControlRequests. */
    private boolean wasFromConfig(Vm vm) {
        return loadedNames.contains(vm.name());
    }

    private final Set<String> loadedNames = new HashSet<>();

    private void addAndStart(List<VmConfig> vms) {
        List<Vm> added = registry.define(vms, config.firmware());
        for (VmConfig c : vms) loadedNames.add(c.name());
        for (Vm vm : added) if (vm.config().enabled()) startQuietly(vm);
    }

    @Override
    public CtlResult load(Path file) {
        ParseResult parsed = ConfigParser.parse(file, opts.defines());
        if (!Files.exists(file)) return CtlResult.fail(2, file + ": No such file or directory");
        if (!parsed.ok()) {
            parsed.errors().forEach(e -> log.error("{}", e));
            return CtlResult.fail(22, "failed to load " + file + ": " + parsed.errors().get(0));
        }
        addAndStart(parsed.config().vms());
        log.info("loaded {}", file);
        return CtlResult.ok();
    }

    @Override
    public void verbosity(int level) {
        Logging.setVerbosity(level);
        control.verbosity(level);
        registry.verbosity(level);
        log.info("log level {}", level > 0 ? "verbose" : "brief");
    }

    /** SIGTERM: every VM gets the power button, then is forced off after the timeout; then exit. */
    private void shutdownAll() {
        if (shuttingDown) return;
        shuttingDown = true;
        log.info("shutting down");
        control.stop();
        List<CompletableFuture<Vm>> stops = new ArrayList<>();
        for (Vm vm : registry.all()) {
            if (vm.pid() < 0) continue;
            stops.add(registry.awaitStop(vm));
            registry.stop(vm, false, SHUTDOWN_TIMEOUT_MS);
        }
        CompletableFuture.allOf(stops.toArray(new CompletableFuture[0])).thenRun(() -> {
            log.info("terminating");
            socket.close();
            metrics.close();
            System.exit(0);
        });
    }

    /** For tests and diagnostics: pid -> name of known children. */
    Map<String, Integer> children() {
        return Map.of("control", control.pid());
    }
}

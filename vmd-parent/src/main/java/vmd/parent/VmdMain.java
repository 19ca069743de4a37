package vmd.parent;

import java.nio.file.Files;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import vmd.parent.config.ConfigParser;
import vmd.parent.config.Diagnostic;
import vmd.parent.config.ParseResult;
import vmd.parent.config.VmdConfig;
import vmd.parent.vms.Vm;
import vmd.parent.vms.VmRegistry;
import vmd.parent.vms.VmState;
import vmd.proc.ChildLauncher;
import vmd.proc.JvmCommand;
import vmd.proc.Privileges;
import vmd.proc.Logging;
import vmd.proc.Reaper;

/**
 * vmd(8), the parent process: reads vm.conf, opens what VMs need, spawns their processes
 * and keeps them running. Everything that changes state runs on one event thread, which
 * is also the thread children are spawned from (their parent-death signal is tied to it).
 */
public final class VmdMain {
    private static final Logger log = LoggerFactory.getLogger(VmdMain.class);

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
        if (!Files.exists(opts.configFile())) log.warn("{} not found: starting with no VMs", opts.configFile());
        new VmdMain(parsed.config()).run();
    }

    /** {@code vmd -n}: report every problem in OpenBSD's format, or "configuration OK". */
    static int check(ParseResult parsed, VmdOptions opts) {
        for (Diagnostic w : parsed.warnings()) System.err.println(w);
        for (Diagnostic e : parsed.errors()) System.err.println(e);
        if (!parsed.ok()) return 1;
        System.err.println("configuration OK");
        return 0;
    }

    private final VmdConfig config;
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> new Thread(r, "vmd-events"));
    private final VmRegistry registry;

    private VmdMain(VmdConfig config) {
        this.config = config;
        ChildLauncher launcher = new ChildLauncher(JvmCommand.current(), new Reaper());
        this.registry = new VmRegistry(events, launcher, Privileges.of(config.user()), config.firmware());
    }

    private void run() throws InterruptedException {
        Object done = new Object();
        Signal.handle(new Signal("TERM"), s -> events.execute(this::shutdownAll));
        Signal.handle(new Signal("INT"), s -> events.execute(this::shutdownAll));
        events.execute(() -> {
            registry.define(config.vms(), config.firmware());
            for (Vm vm : registry.all()) {
                if (vm.state() == VmState.DISABLED) continue;
                try {
                    registry.start(vm);
                } catch (RuntimeException e) {
                    log.error("{}: {}", vm.name(), e.getMessage());
                }
            }
        });
        events.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
    }

    private boolean shuttingDown;

    /** SIGTERM: every VM gets the power button, then is forced off after the timeout; then exit. */
    private void shutdownAll() {
        if (shuttingDown) return;
        shuttingDown = true;
        log.info("shutting down");
        java.util.List<java.util.concurrent.CompletableFuture<Vm>> stops = new java.util.ArrayList<>();
        for (Vm vm : registry.all()) {
            if (vm.pid() < 0) continue;
            stops.add(registry.awaitStop(vm));
            registry.stop(vm, false, VmRegistry.DEFAULT_STOP_TIMEOUT_MS);
        }
        java.util.concurrent.CompletableFuture.allOf(stops.toArray(new java.util.concurrent.CompletableFuture[0]))
                .thenRun(() -> {
                    log.info("terminating");
                    System.exit(0);
                });
    }
}

package vmd.parent.vms;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import vmd.imsg.VmTerminated;
import vmd.parent.config.VmConfig;
import vmd.proc.ChildLauncher;
import vmd.proc.JvmCommand;
import vmd.proc.Privileges;
import vmd.proc.Reaper;
import vmd.testing.Prerequisites;
import vmd.testing.TestClasspath;

/**
 * A real VM for tests: the parent's registry on its own event thread, a real vm process
 * dropped to the unprivileged user, real KVM, and the console read from its pty.
 */
public final class VmFixture implements AutoCloseable {
    public static final Path TEST_GUEST = buildRoot().resolve("guest/build/vmd-testguest");

    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-vmd-events"));
    private final VmRegistry registry;
    private final StringBuffer console = new StringBuffer();
    private Vm vm;
    private Thread reader;
    private FileOutputStream consoleIn;

    public static Path buildRoot() {
        String root = System.getenv("VMD_BUILD_ROOT");
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }

    /** A zeroed raw image of {@code size} bytes in a fresh world-readable directory under /tmp. */
    public static Path scratchDisk(String prefix, int size) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, new byte[size]);
        Files.setPosixFilePermissions(disk, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        return disk;
    }

    /** Removes what {@link #scratchDisk} made. */
    public static void deleteScratch(Path disk) throws IOException {
        Files.deleteIfExists(disk);
        Files.deleteIfExists(disk.getParent());
    }

    public VmFixture() {
        Prerequisites.requireKvm();
        Prerequisites.requireChildUser();
        Prerequisites.require(Files.isReadable(TEST_GUEST), TEST_GUEST + " (built by mvn in guest/)");
        ChildLauncher launcher = new ChildLauncher(JvmCommand.current().withClassPath(TestClasspath.readableCopy()), new Reaper());
        registry = new VmRegistry(events, launcher, Privileges.of(Prerequisites.childUser()), null);
    }

    public <T> T onEvents(Callable<T> task) throws Exception {
        return events.submit(task).get(60, TimeUnit.SECONDS);
    }

    public void onEvents(Runnable task) throws Exception {
        events.submit(task).get(60, TimeUnit.SECONDS);
    }

    /** Defines and starts {@code config}; the console is read from then on. */
    public Vm start(VmConfig config) throws Exception {
        vm = onEvents(() -> {
            Vm v = registry.define(java.util.List.of(config), null).get(0);
            registry.start(v);
            return v;
        });
        String tty = vm.ttyPath();
        FileInputStream in = new FileInputStream(tty);
        consoleIn = new FileOutputStream(tty);
        reader = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) console.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                // the pty went away with the fixture
            }
        }, "test-console");
        reader.setDaemon(true);
        reader.start();
        return vm;
    }

    public VmRegistry registry() {
        return registry;
    }

    public Vm vm() {
        return vm;
    }

    public String console() {
        return console.toString();
    }

    public void type(String line) throws IOException {
        consoleIn.write(line.getBytes(StandardCharsets.US_ASCII));
        consoleIn.flush();
    }

    /** Where the console output ends now: for {@link #awaitConsole(String, Duration, int)}. */
    public int mark() {
        return console.length();
    }

    /** Waits until the console shows {@code marker}; fails with the console so far if it never does. */
    public void awaitConsole(String marker, Duration timeout) throws InterruptedException {
        awaitConsole(marker, timeout, 0);
    }

    /** Waits until the console shows {@code marker} after position {@code from} (a {@link #mark}). */
    public void awaitConsole(String marker, Duration timeout, int from) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (console.toString().indexOf(marker, from) < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("console never showed \"" + marker + "\"; it showed:\n" + console);
            }
            Thread.sleep(20);
        }
    }

    /** Waits for the VM's current vm process to end and returns how. */
    public VmTerminated awaitEnd(Duration timeout) throws Exception {
        VmProcess p = onEvents(() -> vm.process);
        if (p == null) throw new AssertionError("vm is not running");
        return p.end().get(timeout.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (vm != null) {
            VmProcess p = onEvents(() -> {
                vm.stopRequested = true; // no restart
                if (vm.process != null) vm.process.kill();
                return vm.process;
            });
            if (p != null) p.end().get(60, TimeUnit.SECONDS);
        }
        events.shutdown();
        events.awaitTermination(30, TimeUnit.SECONDS);
        if (consoleIn != null) consoleIn.close();
    }
}

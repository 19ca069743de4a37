package vmd.vionet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import vmd.vhostuser.BackendServer;
import vmd.vhostuser.UnixListener;
import vmd.vhostuser.VhostUserBackend;

/**
 * Our {@link NetDevice} served on a vhost-user socket, and QEMU under TCG booting the
 * Debian test kernel and initramfs against it (memfd RAM shared with the back-end;
 * {@code vectors=0}: QEMU 7.2 segfaults with vhost-user-net and MSI-X under TCG).
 */
final class QemuNetGuest implements AutoCloseable {
    static final String QEMU = "/usr/bin/qemu-system-x86_64";

    private final Path dir;
    private final VhostUserBackend backend;
    private final UnixListener listener;
    private final Process qemu;

    private QemuNetGuest(Path dir, VhostUserBackend backend, UnixListener listener, Process qemu) {
        this.dir = dir;
        this.backend = backend;
        this.listener = listener;
        this.qemu = qemu;
    }

    /** Serves {@code device} and boots a guest with {@code pairs} vCPUs and queue pairs and kernel command line {@code append}. */
    static QemuNetGuest boot(Path dir, NetDevice device, Path images, int memoryMb, int pairs, String mac, String append)
            throws IOException {
        Path sock = dir.resolve("net.sock");
        VhostUserBackend backend = new VhostUserBackend(device, "vionet-for-qemu");
        UnixListener listener = UnixListener.listen(sock);
        Thread t = new Thread(() -> BackendServer.serveAll(listener, backend), "vionet-backend");
        t.setDaemon(true);
        t.start();
        Process qemu = new ProcessBuilder(QEMU, "-nodefaults", "-display", "none", "-accel", "tcg", "-m", String.valueOf(memoryMb),
                "-smp", String.valueOf(pairs),
                "-object", "memory-backend-memfd,id=mem,size=" + memoryMb + "M,share=on", "-machine", "pc,memory-backend=mem",
                "-chardev", "socket,id=c0,path=" + sock, "-netdev", "vhost-user,id=n0,chardev=c0,queues=" + pairs,
                "-device", "virtio-net-pci,netdev=n0,vectors=0,mac=" + mac + (pairs > 1 ? ",mq=on" : ""),
                "-serial", "file:" + dir.resolve("console.log"), "-no-reboot",
                "-kernel", images.resolve("vmlinuz").toString(), "-initrd", images.resolve("initramfs.cpio.gz").toString(),
                "-append", "console=ttyS0 panic=-1 " + append)
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        return new QemuNetGuest(dir, backend, listener, qemu);
    }

    /** Waits for the guest to power off; false if it did not within {@code seconds}. */
    boolean awaitPowerOff(long seconds) throws InterruptedException {
        return qemu.waitFor(seconds, TimeUnit.SECONDS);
    }

    String console() throws IOException {
        return Files.readString(dir.resolve("console.log"));
    }

    String qemuLog() throws IOException {
        return Files.readString(dir.resolve("qemu.log"));
    }

    @Override
    public void close() {
        qemu.destroyForcibly();
        backend.stop();
        listener.close();
    }
}

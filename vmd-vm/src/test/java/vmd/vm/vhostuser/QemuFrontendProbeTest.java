package vmd.vm.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.testing.Prerequisites;
import vmd.vhostuser.BackendServer;
import vmd.vhostuser.EchoDevice;
import vmd.vhostuser.TestRing;
import vmd.vhostuser.UnixListener;
import vmd.vhostuser.VhostUserBackend;

/**
 * QEMU as the front-end of our back-end, as far as it goes without a guest: a paused
 * (-S) machine with vhost-user-blk-pci realizes the device, which probes the back-end
 * (SET_OWNER, features, protocol features, GET_QUEUE_NUM, GET_CONFIG). QEMU must keep
 * running (it exits at once if it dislikes an answer); quitting it must leave the
 * back-end ready for the next front-end.
 */
class QemuFrontendProbeTest {
    static final String QEMU = "/usr/bin/qemu-system-x86_64";

    @TempDir
    Path dir;

    @Test
    void qemuProbesOurBackend() throws Exception {
        Prerequisites.requireTool(QEMU);
        Path sock = dir.resolve("be.sock");
        EchoDevice device = new EchoDevice(1, 128);
        VhostUserBackend backend = new VhostUserBackend(device, "echo-for-qemu");
        UnixListener listener = UnixListener.listen(sock);
        Thread server = new Thread(() -> BackendServer.serveAll(listener, backend), "qemu-backend");
        server.setDaemon(true);
        server.start();
        Path log = dir.resolve("qemu.log");
        Process qemu = new ProcessBuilder(QEMU, "-S", "-nodefaults", "-display", "none", "-accel", "tcg", "-m", "64M",
                "-object", "memory-backend-memfd,id=mem,size=64M,share=on", "-machine", "pc,memory-backend=mem",
                "-chardev", "socket,id=vu,path=" + sock, "-device", "vhost-user-blk-pci,chardev=vu,num-queues=1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(TestRing.eventually(20_000, () -> device.events.contains("config") || !qemu.isAlive()),
                    "QEMU asked for the config space");
            Thread.sleep(500);
            assertTrue(qemu.isAlive(), "QEMU is still running: " + Files.readString(log));
        } finally {
            qemu.destroy();
            qemu.waitFor(10, TimeUnit.SECONDS);
            System.err.println(Files.readString(log));
        }
        assertTrue(TestRing.eventually(5000, () -> device.events.contains("reset")), "connection ended cleanly");
        try (var c = new vmd.vhostuser.VhostUserConnection(UnixListener.connect(sock))) {
            c.send(vmd.vhostuser.VhostUserMessage.request(vmd.vhostuser.VhostUserRequest.GET_QUEUE_NUM));
            assertEquals(1, c.receive(2000).u64(), "serving the next front-end");
        }
        backend.stop();
        listener.close();
    }
}

package vmd.parent.control;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import vmd.imsg.Imsg;
import vmd.sys.Fds;
import vmd.vhostuser.UnixListener;

/** The control process's part of the AOT training ({@code vmd.proc.AotTraining}). */
public final class AotWorkload {
    private AotWorkload() {}

    /** The control process's Netty server on a listening socket, with one client. */
    public static void train() throws Exception {
        Path dir = Files.createTempDirectory("vmd-aot");
        Path sock = dir.resolve("control.sock");
        try (UnixListener listener = UnixListener.listen(sock)) {
            int fd = Fds.dup(listener.fd());
            Fds.setNonBlocking(fd, true);
            ControlServer server = new ControlServer(fd, 4, 1 << 16, new ControlServer.Upstream() {
                @Override
                public void forward(Imsg request) {}

                @Override
                public void peerClosed(int peerId) {}
            });
            server.start();
            int client = UnixListener.connect(sock);
            Fds.write(client, ByteBuffer.allocateDirect(16));
            Thread.sleep(200);
            Fds.close(client);
            server.close();
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}

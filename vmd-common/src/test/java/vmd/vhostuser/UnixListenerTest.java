package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixListenerTest {
    @TempDir
    Path dir;

    @Test
    void listenAcceptConnect() throws Exception {
        Path path = dir.resolve("vhost.sock");
        try (UnixListener l = UnixListener.listen(path)) {
            assertTrue(Files.exists(path));
            int client = UnixListener.connect(path);
            int server = l.accept();
            try (VhostUserConnection c = new VhostUserConnection(client); VhostUserConnection s = new VhostUserConnection(server)) {
                c.send(VhostUserMessage.request(VhostUserRequest.GET_FEATURES));
                assertEquals(VhostUserRequest.GET_FEATURES, s.receive(2000).type());
            }
        }
        assertFalse(Files.exists(path), "removed on close");
    }

    @Test
    void staleSocketIsReplacedButOtherFilesAreNot() throws IOException {
        Path path = dir.resolve("s");
        UnixListener.listen(path).close();
        try (UnixListener first = UnixListener.listen(path)) {
            // a stale socket (as after a crash): the path exists, nobody listens after close
        }
        Path file = dir.resolve("file");
        Files.writeString(file, "x");
        assertThrows(IOException.class, () -> UnixListener.listen(file));
        assertEquals("x", Files.readString(file));
    }

    @Test
    void connectFailsCleanly() {
        IOException e = assertThrows(IOException.class, () -> UnixListener.connect(dir.resolve("nobody")));
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void aPatientConnectWaitsForTheListenerAndGivesUpInTime() throws Exception {
        Path path = dir.resolve("late.sock");
        Thread late = new Thread(() -> {
            try {
                Thread.sleep(200);
                UnixListener l = UnixListener.listen(path);
                l.accept();
                l.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        late.start();
        int fd = UnixListener.connect(path, 5000);
        assertTrue(fd >= 0);
        vmd.sys.Fds.close(fd);
        late.join(5000);
        IOException e = assertThrows(IOException.class, () -> UnixListener.connect(dir.resolve("never"), 100));
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void listeningSocketAppearsOnlyWhenListening() throws Exception {
        // The file is renamed into place after listen(2): whoever sees it can connect.
        Path path = dir.resolve("ready.sock");
        try (UnixListener l = UnixListener.listen(path)) {
            try (var files = Files.list(dir)) {
                assertEquals(List.of(path), files.filter(f -> f.getFileName().toString().contains("ready")).toList());
            }
            vmd.sys.Fds.close(UnixListener.connect(path));
        }
    }

    @Test
    void serverServesOneFrontEndAfterAnother() throws Exception {
        Path path = dir.resolve("b.sock");
        EchoDevice device = new EchoDevice(1, 8);
        VhostUserBackend backend = new VhostUserBackend(device, "echo");
        UnixListener l = UnixListener.listen(path);
        Thread t = new Thread(() -> BackendServer.serveAll(l, backend));
        t.setDaemon(true);
        t.start();
        for (int i = 0; i < 2; i++) {
            try (VhostUserConnection c = new VhostUserConnection(UnixListener.connect(path))) {
                c.send(VhostUserMessage.request(VhostUserRequest.GET_QUEUE_NUM));
                assertEquals(1, c.receive(2000).u64());
            }
        }
        backend.stop();
        Thread.sleep(50); // let the server block in accept
        l.close();
        t.join(2000);
        assertFalse(t.isAlive(), "closing the listener ends serveAll");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, BackendServer.run(BackendCommandLine.parse("--print-capabilities"), "block", List.of(), backend,
                new PrintStream(out)));
        assertEquals("{\n  \"type\": \"block\"\n}\n", out.toString());
    }
}

package vmd.parent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.imsg.CtlCommand;
import vmd.imsg.CtlResult;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgDecoder;
import vmd.imsg.ImsgEncoder;
import vmd.imsg.ImsgType;
import vmd.imsg.StartVm;
import vmd.imsg.VmOp;
import vmd.parent.config.Owner;

/**
 * The control server in-process over a real unix socket: what clients may send, what
 * happens to the ones that send garbage, floods, and that a normal request works after.
 */
class ControlServerTest {
    @TempDir
    Path dir;
    private ControlSocket socket;
    private ControlServer server;
    private final BlockingQueue<Imsg> forwarded = new LinkedBlockingQueue<>();
    private final int myUid = (int) new com.sun.security.auth.module.UnixSystem().getUid();
    private final int myGid = (int) new com.sun.security.auth.module.UnixSystem().getGid();

    @BeforeEach
    void start() throws Exception {
        socket = ControlSocket.open(dir.resolve("vmd.sock"), new Owner(myUid, null, myGid, null));
        server = new ControlServer(socket.fd(), 16, 64 * 1024, 5_000, new ControlServer.Upstream() {
            @Override
            public void forward(Imsg request) {
                forwarded.add(request);
                // a tiny parent: answer status with an empty list
                if (request.type() == ImsgType.GET_INFO_VM_REQUEST) {
                    server.deliver(Imsg.of(ImsgType.GET_INFO_VM_END_DATA).withPeerId(request.peerId()));
                }
            }

            @Override
            public void peerClosed(int peerId) {
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        socket.close();
    }

    @Test
    void socketIsMode0660AndOwned() throws IOException {
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.path())));
        assertEquals(myUid, Files.getAttribute(socket.path(), "unix:uid"));
    }

    @Test
    void secondDaemonOnTheSameSocketIsRefused() {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> ControlSocket.open(socket.path(), new Owner(myUid, null, myGid, null)));
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }

    @Test
    void requestIsForwardedWithPeerCredentialsOverwritten() throws Exception {
        try (Client c = new Client()) {
            c.send(Imsg.of(ImsgType.TERMINATE_VM_REQUEST, new VmOp(0, "web", VmOp.FORCE, 4242, 4242)));
            Imsg f = forwarded.poll(10, TimeUnit.SECONDS);
            VmOp op = f.decode(VmOp::decode);
            assertEquals("web", op.name());
            assertEquals(myUid, op.uid(), "vmctl's claimed uid must be replaced by SO_PEERCRED");
            assertEquals(myGid, op.gid());
            assertTrue(f.peerId() > 0);
        }
    }

    @Test
    void statusRoundTrip() throws Exception {
        try (Client c = new Client()) {
            c.send(Imsg.of(ImsgType.GET_INFO_VM_REQUEST, new VmOp(0, "", 0, -1, -1)));
            assertEquals(ImsgType.GET_INFO_VM_END_DATA, c.receive().type());
        }
    }

    @Test
    void unknownTypeGetsCtlFailAndIsDisconnected() throws Exception {
        try (Client c = new Client()) {
            c.sendRaw(header(9999, 16));
            assertFailedAndClosed(c, "unknown message type");
        }
        statusStillWorks();
    }

    @Test
    void oversizedFrameIsRejectedAtTheHeader() throws Exception {
        try (Client c = new Client()) {
            c.sendRaw(header(ImsgType.GET_INFO_VM_REQUEST.code(), 65535));
            assertFailedAndClosed(c, "exceeds maximum");
        }
        statusStillWorks();
    }

    @Test
    void shortLengthIsRejected() throws Exception {
        try (Client c = new Client()) {
            c.sendRaw(header(ImsgType.GET_INFO_VM_REQUEST.code(), 3));
            assertFailedAndClosed(c, "below header size");
        }
    }

    @Test
    void payloadThatDoesNotDecodeIsRejected() throws Exception {
        try (Client c = new Client()) {
            c.send(Imsg.of(ImsgType.START_VM_REQUEST, new byte[] {1, 2, 3}));
            assertFailedAndClosed(c, "malformed START_VM_REQUEST");
        }
        assertTrue(forwarded.isEmpty(), "nothing malformed reaches the parent");
        statusStillWorks();
    }

    @Test
    void typesClientsMayNotSendAreRejected() throws Exception {
        for (ImsgType t : List.of(ImsgType.CHILD_CONFIG, ImsgType.SHUTDOWN, ImsgType.VM_TERMINATED, ImsgType.CTL_OK,
                ImsgType.START_VM_RESPONSE, ImsgType.CTL_PEER_CLOSED)) {
            try (Client c = new Client()) {
                c.send(Imsg.of(t));
                assertFailedAndClosed(c, "clients may not send " + t);
            }
        }
        assertTrue(forwarded.isEmpty());
    }

    @Test
    void descriptorFlagIsRejected() throws Exception {
        try (Client c = new Client()) {
            ByteBuffer h = header(ImsgType.GET_INFO_VM_REQUEST.code(), 16);
            h.putShort(6, (short) 1); // IMSGF_HASFD without a descriptor
            c.sendRaw(h);
            assertFailedAndClosed(c, "HASFD");
        }
    }

    @Test
    void randomGarbageNeverHurtsTheServer() throws Exception {
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 50; i++) {
            try (Client c = new Client()) {
                byte[] junk = new byte[1 + r.nextInt(3000)];
                r.nextBytes(junk);
                c.sendRaw(ByteBuffer.wrap(junk));
                c.drainUntilClosedOrQuiet();
            }
        }
        statusStillWorks();
    }

    @Test
    void silentConnectionsCannotLockOutARealClient() throws Exception {
        List<Client> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) silent.add(new Client()); // every slot, none asks anything
            statusStillWorks(); // the newcomer takes the oldest silent connection's slot
            assertTrue(silent.get(0).closedWithin(5000), "the oldest silent connection makes room");
            for (int i = 1; i < 16; i++) assertTrue(silent.get(i).openAfter(50), "connection " + i + " is still served");
        } finally {
            for (Client c : silent) c.close();
        }
    }

    @Test
    void aConnectionThatSendsNoWholeRequestIsClosed() throws Exception {
        try (Client half = new Client()) {
            half.sendRaw(header(ImsgType.GET_INFO_VM_REQUEST.code(), 64)); // 16 of 64 bytes, then silence
            assertTrue(half.closedWithin(15_000), "a half frame does not hold a slot for ever");
        }
        statusStillWorks();
    }

    @Test
    void aThousandAbusiveConnectionsWhileAClientIsServed() throws Exception {
        ControlFlood flood = new ControlFlood(socket.path(), 4, 1000);
        flood.start();
        try {
            for (int i = 0; i < 50; i++) statusStillWorks();
        } finally {
            flood.finish();
        }
        assertEquals(1000, flood.connections());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.clientCount() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, server.clientCount(), "every abusive connection is gone: " + flood);
        assertTrue(forwarded.stream().allMatch(m -> m.type() == ImsgType.GET_INFO_VM_REQUEST), "only the real requests reached the parent");
    }

    @Test
    void floodOfConnectionsThenANormalRequest() throws Exception {
        for (int i = 0; i < 500; i++) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket.path()));
            }
        }
        // many at once: the ones over the limit are told so and closed
        List<Client> open = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) open.add(new Client());
            int refused = 0;
            for (Client c : open) if (c.closedWithin(300)) refused++;
            assertTrue(refused >= 40 - 16, "clients over the limit are closed, got " + refused);
        } finally {
            for (Client c : open) c.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.clientCount() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, server.clientCount());
        statusStillWorks();
    }

    @Test
    void rootOnlyRequestsFromOthersAreRefusedInTheControlProcess() throws Exception {
        // admit() is what the server runs: check it directly for a non-root peer
        Imsg reload = Imsg.of(ImsgType.RELOAD, CtlCommand.of(0, ""));
        ClientRequests.Refused r = org.junit.jupiter.api.Assertions.assertThrows(ClientRequests.Refused.class,
                () -> ClientRequests.admit(reload, 1, 1000, 1000));
        assertEquals(ClientRequests.EPERM, r.code);
        Imsg ok = ClientRequests.admit(Imsg.of(ImsgType.START_VM_REQUEST, new StartVm("x", "", "", "", List.of(), List.of(),
                -1, 0, 0, "", "", "", 0, 0)), 3, 1000, 100);
        assertEquals(1000, ok.decode(StartVm::decode).uid());
        assertEquals(3, ok.peerId());
    }

    private void statusStillWorks() throws Exception {
        statusRoundTrip();
    }

    private static void assertFailedAndClosed(Client c, String reason) throws Exception {
        Imsg m = c.receive();
        assertEquals(ImsgType.CTL_FAIL, m.type());
        CtlResult r = m.decode(CtlResult::decode);
        assertTrue(r.message().contains(reason), r.message());
        assertTrue(c.closedWithin(5000), "client is disconnected after CTL_FAIL");
    }

    private static ByteBuffer header(int type, int length) {
        return ControlFlood.header(type, length);
    }

    private final class Client implements AutoCloseable {
        final SocketChannel ch;
        final ImsgDecoder decoder = new ImsgDecoder();

        Client() throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket.path()));
        }

        void send(Imsg m) throws IOException {
            sendRaw(ImsgEncoder.encode(m));
        }

        void sendRaw(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) ch.write(b);
        }

        Imsg receive() throws IOException {
            ByteBuffer in = ByteBuffer.allocate(65536);
            while (true) {
                Imsg m = decoder.next();
                if (m != null) return m;
                in.clear();
                if (ch.read(in) < 0) throw new IOException("closed");
                decoder.feed(in.flip());
            }
        }

        boolean closedWithin(long millis) throws IOException {
            ch.configureBlocking(false);
            long deadline = System.nanoTime() + millis * 1_000_000;
            ByteBuffer in = ByteBuffer.allocate(65536);
            try {
                while (System.nanoTime() < deadline) {
                    in.clear();
                    if (ch.read(in) < 0) return true;
                    Thread.sleep(5);
                }
            } catch (IOException e) {
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        boolean openAfter(long millis) throws IOException {
            return !closedWithin(millis);
        }

        void drainUntilClosedOrQuiet() throws IOException {
            closedWithin(200);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}

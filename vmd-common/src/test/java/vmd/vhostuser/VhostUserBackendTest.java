package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.testing.MemoryContract;
import vmd.virtio.VirtioFeatures;

/** The back-end driven by a raw (and hostile) front-end: the test speaks the protocol itself. */
class VhostUserBackendTest {
    static final long RAM = 1 << 20;
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, BUF = 0x10000;
    static final long F_PROTOCOL = 1L << 30;

    EchoDevice device;
    VhostUserBackend backend;
    GuestMemory mem;
    final BlockingQueue<Integer> pending = new LinkedBlockingQueue<>();
    final BlockingQueue<Integer> served = new LinkedBlockingQueue<>();
    Thread server;
    VhostUserConnection fe;

    @BeforeEach
    void setUp() {
        device = new EchoDevice(2, 64);
        backend = new VhostUserBackend(device, "echo");
        mem = GuestMemory.create("vhost-test", List.of(new MemoryRegion(0, RAM, 0)));
        server = new Thread(() -> {
            try {
                while (true) {
                    int fd = pending.take();
                    if (fd < 0) return;
                    backend.serve(fd);
                    served.add(fd);
                }
            } catch (InterruptedException e) {
                // done
            }
        }, "backend-test-server");
        server.setDaemon(true);
        server.start();
        fe = connect();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (fe != null) fe.close();
        pending.add(-1);
        server.join(5000);
    }

    VhostUserConnection connect() {
        int[] p = UnixSockets.streamPair();
        pending.add(p[1]);
        return new VhostUserConnection(p[0]);
    }

    /** Sends with NEED_REPLY and returns the ack. */
    long ack(VhostUserRequest r, byte[] payload, int... fds) {
        return ack(fe, VhostUserMessage.request(r, payload, fds));
    }

    static long ack(VhostUserConnection c, VhostUserMessage m) {
        c.send(m.needReply(true));
        VhostUserMessage reply = c.receive(5000);
        assertNotNull(reply, "reply to " + m.name());
        assertTrue(reply.isReply());
        assertEquals(m.request(), reply.request());
        return reply.u64();
    }

    VhostUserMessage call(VhostUserRequest r, byte[] payload) {
        fe.send(VhostUserMessage.request(r, payload));
        VhostUserMessage reply = fe.receive(5000);
        assertNotNull(reply, "reply to " + r);
        assertTrue(reply.isReply());
        assertEquals(r.id(), reply.request());
        return reply;
    }

    byte[] memTable() {
        long host = mem.regions().get(0).hostAddress();
        return new MemTable(List.of(new MemRegion(0, RAM, host, 0))).encode();
    }

    long user(long gpa) {
        return mem.hostAddress(gpa, 1);
    }

    void negotiate(boolean protocolBit) {
        fe.send(VhostUserMessage.request(VhostUserRequest.SET_OWNER));
        assertEquals(0, ack(VhostUserRequest.SET_PROTOCOL_FEATURES,
                VhostUserMessage.u64(ProtocolFeatures.bit(ProtocolFeatures.REPLY_ACK) | ProtocolFeatures.bit(ProtocolFeatures.CONFIG))));
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | (protocolBit ? F_PROTOCOL : 0);
        assertEquals(0, ack(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(features)));
        assertEquals(0, ack(VhostUserRequest.SET_MEM_TABLE, memTable(), mem.fd()));
    }

    void setUpRing(int index, long base) {
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        int call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        try {
            assertEquals(0, ack(VhostUserRequest.SET_VRING_NUM, new VringState(index, 8).encode()));
            assertEquals(0, ack(VhostUserRequest.SET_VRING_BASE, new VringState(index, (int) base).encode()));
            assertEquals(0, ack(VhostUserRequest.SET_VRING_ADDR, new VringAddr(index, 0, user(DESC), user(USED), user(AVAIL), 0).encode()));
            assertEquals(0, ack(VhostUserRequest.SET_VRING_KICK, VhostUserMessage.u64(index), kick));
            assertEquals(0, ack(VhostUserRequest.SET_VRING_CALL, VhostUserMessage.u64(index), call));
        } finally {
            kicks[index] = kick;
            calls[index] = call;
        }
    }

    final int[] kicks = {-1, -1}, calls = {-1, -1};

    @AfterEach
    void closeRingFds() {
        for (int fd : kicks) Fds.closeQuietly(fd);
        for (int fd : calls) Fds.closeQuietly(fd);
    }

    @Test
    void probeAnswers() {
        fe.send(VhostUserMessage.request(VhostUserRequest.SET_OWNER));
        assertEquals(EchoDevice.FEATURES | F_PROTOCOL | VhostUserBackend.F_LOG_ALL, call(VhostUserRequest.GET_FEATURES, null).u64());
        assertEquals(VhostUserBackend.PROTOCOL_FEATURES, call(VhostUserRequest.GET_PROTOCOL_FEATURES, null).u64());
        assertEquals(2, call(VhostUserRequest.GET_QUEUE_NUM, null).u64());
    }

    /** A net device with a control queue: GET_QUEUE_NUM answers pairs, ring indexes run to 2 * pairs. */
    @Test
    void getQueueNumIsTheDevicesAnswerAndRingsFollowQueueCount() throws InterruptedException {
        VhostUserDevice mq = new VhostUserDevice() {
            public long features() { return 0; }
            public int queueCount() { return 5; }
            public int queueNum() { return 2; }
            public int maxQueueSize() { return 64; }
            public byte[] config() { return new byte[0]; }
            public void startQueue(Vring vring) {}
            public void stopQueue(int index) {}
        };
        VhostUserBackend b = new VhostUserBackend(mq, "mq");
        int[] p = UnixSockets.streamPair();
        Thread t = new Thread(() -> b.serve(p[1]), "mq-backend");
        t.start();
        VhostUserConnection c = new VhostUserConnection(p[0]);
        try {
            c.send(VhostUserMessage.request(VhostUserRequest.GET_QUEUE_NUM));
            assertEquals(2, c.receive(5000).u64());
            assertEquals(0, ack(c, VhostUserMessage.request(VhostUserRequest.SET_VRING_NUM, new VringState(4, 64).encode())),
                    "the control queue's ring exists");
            assertEquals(1, ack(c, VhostUserMessage.request(VhostUserRequest.SET_VRING_NUM, new VringState(5, 64).encode())));
        } finally {
            c.close();
            t.join(5000);
        }
    }

    @Test
    void configSpace() {
        negotiate(true);
        ConfigSpace c = ConfigSpace.decode(call(VhostUserRequest.GET_CONFIG, new ConfigSpace(0, 0, new byte[8]).encode()));
        assertArrayEquals(new byte[] {'E', 'C', 'H', 'O', 0, 0, 0, 0}, c.data());
        assertEquals(0, ack(VhostUserRequest.SET_CONFIG, new ConfigSpace(4, 0, new byte[] {1, 2, 3, 4}).encode()));
        assertEquals(1, ack(VhostUserRequest.SET_CONFIG, new ConfigSpace(0, 0, new byte[] {'X'}).encode()), "read-only field");
        assertEquals(1, ack(VhostUserRequest.SET_CONFIG, new ConfigSpace(4, 7, new byte[] {1}).encode()), "bad flags");
        c = ConfigSpace.decode(call(VhostUserRequest.GET_CONFIG, new ConfigSpace(2, 0, new byte[12]).encode()));
        assertArrayEquals(new byte[] {'H', 'O', 1, 2, 3, 4, 0, 0, 0, 0, 0, 0}, c.data(), "asked size, zero padded");
        VhostUserMessage bad = call(VhostUserRequest.GET_CONFIG, new ConfigSpace(250, 0, new byte[16]).encode());
        assertEquals(0, bad.size(), "GET_CONFIG failure is an empty payload");
        assertEquals(2, call(VhostUserRequest.GET_QUEUE_NUM, null).u64(), "still serving");
    }

    @Test
    void hostileRequestsAreRefusedAndTheConnectionCarriesOn() {
        negotiate(true);
        int before = TestRing.openFds();
        // SET_MEM_TABLE with 9 regions
        ByteBuffer nine = ByteBuffer.allocate(8 + 32 * 9).order(ByteOrder.nativeOrder()).putInt(9);
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE, nine.array(), mem.fd()));
        // a region past the end of the file (touching it would be SIGBUS)
        long host = mem.regions().get(0).hostAddress();
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE,
                new MemTable(List.of(new MemRegion(0, RAM, host, RAM))).encode(), mem.fd()));
        // unaligned, no descriptor, two descriptors for one region, overlapping user ranges, not a memfd
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE, new MemTable(List.of(new MemRegion(0x10, 4096, host, 0))).encode(), mem.fd()));
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE, memTable()));
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE, memTable(), mem.fd(), mem.fd()));
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE, new MemTable(List.of(new MemRegion(0, 0x80000, host, 0),
                new MemRegion(0x80000, 0x80000, host + 0x1000, 0x80000))).encode(), mem.fd(), mem.fd()));
        int[] pipe = Fds.pipe();
        assertEquals(1, ack(VhostUserRequest.SET_MEM_TABLE, memTable(), pipe[0]));
        // ring index 99, bad sizes
        assertEquals(1, ack(VhostUserRequest.SET_VRING_NUM, new VringState(99, 8).encode()));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_NUM, new VringState(0, 3).encode()));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_NUM, new VringState(0, 128).encode()), "over the device's max");
        assertEquals(1, ack(VhostUserRequest.SET_VRING_BASE, new VringState(0, 0x10000).encode()));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_ENABLE, new VringState(0, 2).encode()));
        // ring addresses pointing nowhere
        assertEquals(1, ack(VhostUserRequest.SET_VRING_ADDR, new VringAddr(0, 0, 0x1000, 0x2000, 0x3000, 0).encode()));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_ADDR, new VringAddr(0, 0, user(RAM - 8), user(USED), user(AVAIL), 0).encode()),
                "descriptor table running off the end of the region");
        // descriptors missing, surplus, or where none belong
        assertEquals(1, ack(VhostUserRequest.SET_VRING_KICK, VhostUserMessage.u64(0)));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_KICK, VhostUserMessage.u64(0x100)), "polling not supported");
        assertEquals(1, ack(VhostUserRequest.SET_VRING_CALL, VhostUserMessage.u64(0), pipe[0], pipe[1]));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_CALL, VhostUserMessage.u64(0x100), pipe[0]));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_CALL, VhostUserMessage.u64(0x200)), "reserved bits");
        assertEquals(1, ack(VhostUserRequest.SET_VRING_NUM, new VringState(0, 8).encode(), pipe[0]));
        assertEquals(1, ack(VhostUserRequest.SET_OWNER, null, pipe[1]));
        // features not offered, payloads of the wrong size
        assertEquals(1, ack(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(1L << 60)));
        assertEquals(1, ack(VhostUserRequest.SET_PROTOCOL_FEATURES, VhostUserMessage.u64(1L << 40)));
        assertEquals(1, ack(VhostUserRequest.SET_VRING_NUM, new byte[5]));
        // unknown and unsupported requests
        assertEquals(1, ack(fe, new VhostUserMessage(99, VhostUserMessage.VERSION, new byte[16])));
        fe.send(new VhostUserMessage(99, VhostUserMessage.VERSION, new byte[3]));
        assertEquals(1, ack(VhostUserRequest.SET_LOG_FD, null, pipe[0]));
        assertEquals(1, ack(VhostUserRequest.ADD_MEM_REG, MemTable.encodeSingle(new MemRegion(0, 4096, host, 0)), mem.fd()));
        // a request carrying the reply flag
        assertEquals(1, ack(fe, new VhostUserMessage(VhostUserRequest.SET_OWNER.id(), VhostUserMessage.VERSION | VhostUserMessage.FLAG_REPLY, null)));
        // still serving, with nothing out of step, and every descriptor it was sent closed
        assertEquals(2, call(VhostUserRequest.GET_QUEUE_NUM, null).u64());
        Fds.close(pipe[0]);
        Fds.close(pipe[1]);
        assertEquals(before, TestRing.openFds(), "descriptors leaked by refused requests");
        assertTrue(device.startedRings.isEmpty());
    }

    @Test
    void unanswerableRequestsCloseTheConnectionAndTheNextOneIsServed() throws InterruptedException {
        fe.send(VhostUserMessage.request(VhostUserRequest.GET_VRING_BASE, new VringState(99, 0).encode()));
        assertNull(fe.receive(5000), "connection closed");
        fe.close();
        assertNotNull(served.poll(5, TimeUnit.SECONDS));

        fe = connect();
        fe.send(VhostUserMessage.request(VhostUserRequest.GET_INFLIGHT_FD, new InflightDescription(0, 0, 2, 8).encode()));
        assertNull(fe.receive(5000), "unsupported GET_* closes");
        fe.close();
        assertNotNull(served.poll(5, TimeUnit.SECONDS));

        fe = connect();
        assertEquals(2, call(VhostUserRequest.GET_QUEUE_NUM, null).u64());
    }

    @Test
    void framingErrorsCloseTheConnectionAndTheNextOneIsServed() throws InterruptedException {
        // payload size over the maximum
        ByteBuffer h = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder()).putInt(5).putInt(1).putInt(5000).flip();
        UnixSockets.sendFully(fe.fd(), h);
        assertNull(fe.receive(5000));
        fe.close();
        assertNotNull(served.poll(5, TimeUnit.SECONDS));

        // a bad version
        fe = connect();
        ByteBuffer v = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder()).putInt(1).putInt(2).putInt(0).flip();
        UnixSockets.sendFully(fe.fd(), v);
        assertNull(fe.receive(5000));
        fe.close();
        assertNotNull(served.poll(5, TimeUnit.SECONDS));

        // a truncated header, then the front-end goes away (with a descriptor in flight)
        fe = connect();
        int before = TestRing.openFds();
        int[] pipe = Fds.pipe();
        UnixSockets.sendFully(fe.fd(), ByteBuffer.allocateDirect(5), pipe[0]);
        fe.close();
        fe = null;
        assertNotNull(served.poll(5, TimeUnit.SECONDS));
        Fds.close(pipe[0]);
        Fds.close(pipe[1]);
        assertTrue(TestRing.eventually(2000, () -> TestRing.openFds() <= before - 1), "the stray descriptor was closed");

        fe = connect();
        assertEquals(2, call(VhostUserRequest.GET_QUEUE_NUM, null).u64());
    }

    @Test
    void ringLifecycle() throws InterruptedException {
        negotiate(true);
        setUpRing(0, 0);
        assertTrue(device.startedRings.isEmpty(), "disabled until SET_VRING_ENABLE with protocol features");
        assertEquals(0, ack(VhostUserRequest.SET_VRING_ENABLE, new VringState(0, 1).encode()));
        assertEquals(1, device.startedRings.size());

        // the back-end mapped the memfd it received under the sealed-mapping contract, and sees our data
        Vring vring = device.startedRings.get(0);
        long mapping = vring.memory().regions().get(0).hostAddress();
        assertNotEquals(mem.regions().get(0).hostAddress(), mapping, "its own mapping");
        MemoryContract.assertSealedGuestMapping(ProcessHandle.current().pid(), mapping);
        assertEquals(DESC, vring.queue().descAddress(), "user addresses translated to guest-physical");
        assertEquals(AVAIL, vring.queue().availAddress());
        assertEquals(USED, vring.queue().usedAddress());

        TestRing ring = new TestRing(mem, 8, DESC, AVAIL, USED);
        ring.echoChain(0, BUF, "hello".getBytes(), 16);
        ring.publish(0);
        Fds.eventfdSignal(kicks[0]);
        assertTrue(TestRing.waitFor(calls[0], 5000), "interrupt");
        assertEquals(1, ring.usedIdx());
        assertEquals(5, ring.usedLen(0));
        assertArrayEquals("HELLO".getBytes(), mem.read(BUF + 0x800, 5));

        // the same table again changes nothing; ring numbers cannot change under a running ring
        assertEquals(0, ack(VhostUserRequest.SET_MEM_TABLE, memTable(), mem.fd()));
        assertEquals(1, device.startedRings.size());
        assertEquals(1, ack(VhostUserRequest.SET_VRING_NUM, new VringState(0, 8).encode()));

        // the call descriptor can be swapped while the ring runs
        int call2 = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        assertEquals(0, ack(VhostUserRequest.SET_VRING_CALL, VhostUserMessage.u64(0), call2));
        ring.echoChain(2, BUF + 0x1000, "again".getBytes(), 16);
        ring.publish(2);
        Fds.eventfdSignal(kicks[0]);
        assertTrue(TestRing.waitFor(call2, 5000), "interrupt on the new call descriptor");
        assertEquals(2, ring.usedIdx());
        Fds.close(call2);

        VringState base = VringState.decode(call(VhostUserRequest.GET_VRING_BASE, new VringState(0, 0).encode()));
        assertEquals(new VringState(0, 2), base);
        assertTrue(device.events.contains("stop 0"));

        // a hostile ring: head index out of range -> the error descriptor is signalled
        int err = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        setUpRing(1, 0);
        assertEquals(0, ack(VhostUserRequest.SET_VRING_ERR, VhostUserMessage.u64(1), err));
        assertEquals(0, ack(VhostUserRequest.SET_VRING_ENABLE, new VringState(1, 1).encode()));
        mem.putShort(AVAIL + 4 + 2L * 2, (short) 200);
        mem.putShort(AVAIL + 2, (short) 3);
        Fds.eventfdSignal(kicks[1]);
        assertTrue(TestRing.waitFor(err, 5000), "error eventfd");
        Fds.close(err);

        fe.close();
        fe = null;
        assertNotNull(served.poll(5, TimeUnit.SECONDS));
        assertTrue(device.events.contains("stop 1"));
        assertEquals("reset", device.events.get(device.events.size() - 1));
    }

    @Test
    void withoutProtocolFeaturesRingsStartEnabled() {
        negotiate(false);
        setUpRing(0, 5);
        assertEquals(1, device.startedRings.size());
        assertEquals(5, device.startedRings.get(0).queue().nextAvail());
    }

    @Test
    void resetDeviceStopsRingsAndForgetsFeatures() {
        negotiate(true);
        setUpRing(0, 0);
        assertEquals(0, ack(VhostUserRequest.SET_VRING_ENABLE, new VringState(0, 1).encode()));
        assertEquals(0, ack(VhostUserRequest.RESET_DEVICE, null));
        assertTrue(device.events.contains("stop 0"));
        assertTrue(device.events.contains("reset"));
        VringState base = VringState.decode(call(VhostUserRequest.GET_VRING_BASE, new VringState(0, 0).encode()));
        assertEquals(new VringState(0, 0), base);
    }
}

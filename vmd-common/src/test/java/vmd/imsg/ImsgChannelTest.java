package vmd.imsg;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;

class ImsgChannelTest {
    private final List<ImsgChannel> channels = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger channelLog = (Logger) LoggerFactory.getLogger(ImsgChannel.class);

    /** Collects what a channel's reader delivers. */
    static final class Recorder implements ImsgHandler {
        final LinkedBlockingQueue<Imsg> received = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        final AtomicInteger closedCalls = new AtomicInteger();

        @Override
        public void handle(ImsgChannel channel, Imsg msg) throws Exception {
            received.add(msg);
        }

        @Override
        public void closed(ImsgChannel channel, String reason) {
            closedCalls.incrementAndGet();
            closed.complete(reason);
        }

        Imsg take() throws InterruptedException {
            Imsg m = received.poll(5, SECONDS);
            assertNotNull(m, "no message within 5 s");
            return m;
        }

        String awaitClosed() throws Exception {
            return closed.get(5, SECONDS);
        }
    }

    @BeforeEach
    void captureLog() {
        logged.start();
        channelLog.addAppender(logged);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        channelLog.detachAppender(logged);
        for (ImsgChannel c : channels) c.close();
        for (Thread t : readers) t.join(5000);
    }

    private ImsgChannel channel(int sock, String peer, ImsgHandler handler) {
        ImsgChannel c = new ImsgChannel(sock, peer);
        channels.add(c);
        if (handler != null) readers.add(c.start(handler));
        return c;
    }

    private List<String> errorLines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : logged.list) if (e.getLevel() == ch.qos.logback.classic.Level.ERROR) lines.add(e.getFormattedMessage());
        return lines;
    }

    /** Two connected channels: a (no reader) and b (reading into the returned recorder). */
    private record Pair(ImsgChannel a, ImsgChannel b, Recorder bReceived) {}

    private Pair pair(String name) {
        int[] s = UnixSockets.streamPair();
        Recorder r = new Recorder();
        return new Pair(channel(s[0], name + " a", null), channel(s[1], name + " b", r), r);
    }

    @Test
    void messagesWithoutDescriptorsBothWays() throws Exception {
        int[] s = UnixSockets.streamPair();
        Recorder atA = new Recorder();
        ImsgChannel a = channel(s[0], "parent", atA);
        // b answers every CHILD_CONFIG with CHILD_READY, through the channel the handler is given.
        channel(s[1], "child", (ch, msg) -> ch.send(Imsg.of(ImsgType.CHILD_READY, new ChildReady("vm", 99)).withPeerId(msg.peerId())));
        a.send(Imsg.of(ImsgType.CHILD_CONFIG, new byte[] {1, 2, 3}).withPeerId(42));
        Imsg reply = atA.take();
        assertEquals(ImsgType.CHILD_READY, reply.type());
        assertEquals(42, reply.peerId());
        assertEquals(new ChildReady("vm", 99), reply.decode(ChildReady::decode));
        assertEquals(-1, reply.fd());
    }

    @Test
    void largestFrameAndManyConcurrentSendersArriveIntact() throws Exception {
        Pair p = pair("bulk");
        byte[] big = new byte[ImsgHeader.MAX_PAYLOAD];
        for (int i = 0; i < big.length; i++) big[i] = (byte) i;
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int sender = t;
            senders.add(new Thread(() -> {
                for (int i = 0; i < 200; i++) p.a.send(Imsg.of(ImsgType.CHILD_CONFIG, big).withPeerId(sender).withPid(i));
            }));
        }
        senders.forEach(Thread::start);
        int[] next = new int[4];
        for (int n = 0; n < 800; n++) {
            Imsg m = p.bReceived.take();
            assertEquals(ByteBuffer.wrap(big), m.payload());
            assertEquals(next[m.peerId()]++, m.pid(), "frames from one sender arrive in order");
        }
        for (Thread t : senders) t.join();
    }

    @Test
    void passedPipeEndWorksOnTheOtherSide() throws Exception {
        Pair p = pair("fd");
        int[] pipe = Fds.pipe();
        p.a.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd("pipe")).withFd(pipe[1]));
        Fds.close(pipe[1]); // the channel did not take it: the sender still owned its copy
        Imsg m = p.bReceived.take();
        assertEquals(new ChildFd("pipe"), m.decode(ChildFd::decode));
        assertTrue(m.fd() >= 0);
        assertTrue(Fds.isCloexec(m.fd()), "received descriptors are close-on-exec");
        TestFds.write(m.fd(), "through the passed fd");
        Fds.close(m.fd());
        assertEquals("through the passed fd", TestFds.read(pipe[0], 100));
        assertTrue(TestFds.writersClosed(pipe[0]));
        Fds.close(pipe[0]);
    }

    @Test
    void passedEventfdSignalsTheSender() throws Exception {
        Pair p = pair("eventfd");
        int efd = Fds.eventfd(Fds.EFD_CLOEXEC);
        p.a.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd("kick")).withFd(efd));
        Imsg m = p.bReceived.take();
        Fds.eventfdSignal(m.fd());
        Fds.eventfdSignal(m.fd());
        Fds.close(m.fd());
        assertEquals(2, Fds.eventfdRead(efd));
        Fds.close(efd);
    }

    /**
     * The kernel fact ImsgDecoder's descriptor matching rests on: one recvmsg on a stream
     * socket returns fd-less bytes sent earlier together with the descriptor of a later send,
     * and stops after the data that carried it.
     */
    @Test
    void kernelDeliversADescriptorWithEarlierBytes() {
        int[] s = UnixSockets.streamPair();
        int[] pipe = Fds.pipe();
        ByteBuffer plain = ImsgEncoder.encode(Imsg.of(ImsgType.RESET));
        ByteBuffer withFd = ImsgEncoder.encode(Imsg.of(ImsgType.CHILD_FD, new ChildFd("x")).withFd(pipe[1]));
        int fdFrameStart = plain.remaining();
        int fdFrameLength = withFd.remaining();
        UnixSockets.sendFully(s[0], plain);
        UnixSockets.sendFully(s[0], withFd, pipe[1]);
        UnixSockets.sendFully(s[0], ImsgEncoder.encode(Imsg.of(ImsgType.RESET)));
        UnixSockets.Received r = UnixSockets.receive(s[1], ByteBuffer.allocate(4096));
        assertEquals(fdFrameStart + fdFrameLength, r.bytes(), "the read spans the fd-less frame and stops after the fd's");
        assertEquals(1, r.fds().length);
        for (int fd : new int[] {r.fds()[0], pipe[0], pipe[1], s[0], s[1]}) Fds.close(fd);
    }

    @Test
    void descriptorsMatchTheirFramesWhenTheKernelBatchesReads() throws Exception {
        // Queue everything before the reader starts, so one recvmsg returns fd-less frames
        // followed by the frame whose first byte carries a descriptor.
        int[] s = UnixSockets.streamPair();
        ImsgChannel a = channel(s[0], "batch a", null);
        int[][] pipes = new int[5][];
        for (int i = 0; i < pipes.length; i++) {
            pipes[i] = Fds.pipe();
            a.send(Imsg.of(ImsgType.RESET).withPid(i));
            a.send(Imsg.of(ImsgType.RESET).withPid(i));
            a.send(Imsg.of(ImsgType.CHILD_FD, new ChildFd("pipe" + i)).withFd(pipes[i][1]));
            Fds.close(pipes[i][1]);
        }
        Recorder r = new Recorder();
        channel(s[1], "batch b", r);
        for (int i = 0; i < pipes.length; i++) {
            assertEquals(ImsgType.RESET, r.take().type());
            assertEquals(ImsgType.RESET, r.take().type());
            Imsg m = r.take();
            assertEquals(new ChildFd("pipe" + i), m.decode(ChildFd::decode));
            TestFds.write(m.fd(), "p" + i);
            Fds.close(m.fd());
            assertEquals("p" + i, TestFds.read(pipes[i][0], 10), "descriptor " + i + " went with its own frame");
            Fds.close(pipes[i][0]);
        }
        assertFalse(r.closed.isDone());
    }

    /** The acceptance case: garbage on one channel closes it, logged, leak-free; another keeps serving. */
    @Test
    void garbageClosesOnlyThatChannel() throws Exception {
        garbageScenario(); // loads every class involved once, so the fd count below is exact
        closeAll();
        Set<String> before = TestFds.openFds();
        garbageScenario();
        closeAll();
        TestFds.assertNoNewFds(before);
    }

    private void closeAll() throws InterruptedException {
        for (ImsgChannel c : channels) c.close();
        for (Thread t : readers) t.join(5000);
        channels.clear();
        readers.clear();
    }

    private void garbageScenario() throws Exception {
        logged.list.clear();
        Pair healthy = pair("healthy");
        int[] s = UnixSockets.streamPair();
        Recorder victim = new Recorder();
        channel(s[1], "vm web (pid 1234)", victim);
        int[] pipe = Fds.pipe();
        // A frame whose length is below the header size, with a descriptor attached.
        UnixSockets.sendFully(s[0], TestFds.rawFrame(ImsgType.RESET.code(), 9, 0, new byte[0]), pipe[1]);
        Fds.close(pipe[1]);

        assertEquals("frame length 9 below header size 16", victim.awaitClosed());
        assertTrue(errorLines().contains("imsg: closing channel to vm web (pid 1234): frame length 9 below header size 16"), errorLines().toString());
        assertTrue(TestFds.writersClosed(pipe[0]), "the unclaimed descriptor was closed");
        ByteBuffer eof = ByteBuffer.allocate(16);
        assertTrue(UnixSockets.receive(s[0], eof).eof(), "the channel closed its socket");
        assertTrue(victim.received.isEmpty());

        healthy.a.send(Imsg.of(ImsgType.SHUTDOWN, new Shutdown(1000)));
        assertEquals(new Shutdown(1000), healthy.bReceived.take().decode(Shutdown::decode));
        assertFalse(healthy.b.isClosed());

        Fds.close(pipe[0]);
        Fds.close(s[0]);
    }

    @Test
    void unknownTypeClosesTheChannel() throws Exception {
        int[] s = UnixSockets.streamPair();
        Recorder r = new Recorder();
        channel(s[1], "control", r);
        UnixSockets.sendFully(s[0], TestFds.rawFrame(999, 0, new byte[4]));
        assertEquals("unknown message type 999", r.awaitClosed());
        Fds.close(s[0]);
    }

    @Test
    void payloadThatDoesNotDecodeClosesTheChannel() throws Exception {
        Pair healthy = pair("healthy");
        int[] s = UnixSockets.streamPair();
        CompletableFuture<String> closed = new CompletableFuture<>();
        List<ChildReady> decoded = new ArrayList<>();
        channel(s[1], "vioblk disk0 (pid 77)", new ImsgHandler() {
            @Override
            public void handle(ImsgChannel ch, Imsg msg) {
                decoded.add(msg.decode(ChildReady::decode));
            }

            @Override
            public void closed(ImsgChannel ch, String reason) {
                closed.complete(reason);
            }
        });
        byte[] lying = new PayloadWriter().u32(70000).u64(0).u32(0).toByteArray();
        UnixSockets.sendFully(s[0], TestFds.rawFrame(ImsgType.CHILD_READY.code(), 0, lying));
        String expected = "malformed CHILD_READY payload: string length 70000 exceeds payload (12 bytes left)";
        assertEquals(expected, closed.get(5, SECONDS));
        assertTrue(errorLines().contains("imsg: closing channel to vioblk disk0 (pid 77): " + expected), errorLines().toString());
        assertTrue(decoded.isEmpty());

        healthy.a.send(Imsg.of(ImsgType.RESET));
        assertEquals(ImsgType.RESET, healthy.bReceived.take().type());
        Fds.close(s[0]);
    }

    @Test
    void failingHandlerClosesItsChannelOnly() throws Exception {
        int[] s = UnixSockets.streamPair();
        CompletableFuture<String> closed = new CompletableFuture<>();
        ImsgChannel a = channel(s[0], "a", null);
        channel(s[1], "buggy", new ImsgHandler() {
            @Override
            public void handle(ImsgChannel ch, Imsg msg) {
                throw new IllegalStateException("bug");
            }

            @Override
            public void closed(ImsgChannel ch, String reason) {
                closed.complete(reason);
            }
        });
        a.send(Imsg.of(ImsgType.RELOAD));
        assertEquals("handler failed on RELOAD: java.lang.IllegalStateException: bug", closed.get(5, SECONDS));
        // The peer notices: its next sends fail once the socket is gone.
        assertThrows(ImsgChannelClosedException.class, () -> {
            for (int i = 0; i < 1000; i++) {
                a.send(Imsg.of(ImsgType.RELOAD));
                Thread.sleep(1);
            }
        });
        assertTrue(a.isClosed());
    }

    @Test
    void peerClosingIsAnOrderlyEof() throws Exception {
        int[] s = UnixSockets.streamPair();
        Recorder r = new Recorder();
        ImsgChannel b = channel(s[1], "child", r);
        UnixSockets.sendFully(s[0], ImsgEncoder.encode(Imsg.of(ImsgType.CHILD_EXITING, new Reason("done"))));
        Fds.close(s[0]);
        assertEquals(new Reason("done"), r.take().decode(Reason::decode));
        assertEquals("peer closed the channel", r.awaitClosed());
        assertTrue(b.isClosed());
        assertTrue(errorLines().isEmpty(), errorLines().toString());
        assertThrows(ImsgChannelClosedException.class, () -> b.send(Imsg.of(ImsgType.RESET)));
    }

    @Test
    void eofInTheMiddleOfAFrameIsAnError() throws Exception {
        int[] s = UnixSockets.streamPair();
        Recorder r = new Recorder();
        channel(s[1], "child", r);
        UnixSockets.sendFully(s[0], ImsgEncoder.encode(Imsg.of(ImsgType.CHILD_CONFIG, new byte[100])).limit(50));
        Fds.close(s[0]);
        assertEquals("peer closed the channel mid-frame (50 bytes pending)", r.awaitClosed());
    }

    @Test
    void closeIsIdempotentAndUnblocksTheReader() throws Exception {
        int[] s = UnixSockets.streamPair();
        Recorder r = new Recorder();
        ImsgChannel b = channel(s[1], "idle", r);
        Thread reader = readers.get(readers.size() - 1);
        Thread.sleep(50); // let the reader block in recvmsg
        b.close();
        b.close();
        assertEquals("closed locally", r.awaitClosed());
        reader.join(5000);
        assertFalse(reader.isAlive());
        b.close();
        assertEquals(1, r.closedCalls.get());
        assertEquals("closed locally", b.closeReason());
        assertThrows(ImsgChannelClosedException.class, () -> b.send(Imsg.of(ImsgType.RESET)));
        assertTrue(UnixSockets.receive(s[0], ByteBuffer.allocate(16)).eof(), "the peer sees EOF");
        assertTrue(errorLines().isEmpty(), errorLines().toString());
        Fds.close(s[0]);
    }

    @Test
    void closeWakesASenderBlockedOnAFullSocket() throws Exception {
        int[] s = UnixSockets.streamPair();
        ImsgChannel a = channel(s[0], "stuck", null); // nobody reads s[1]
        CompletableFuture<Throwable> senderEnded = new CompletableFuture<>();
        Thread sender = new Thread(() -> {
            try {
                while (true) a.send(Imsg.of(ImsgType.CHILD_CONFIG, new byte[8000]));
            } catch (Throwable t) {
                senderEnded.complete(t);
            }
        });
        sender.start();
        Thread.sleep(200);
        assertFalse(senderEnded.isDone(), "the sender should be blocked on a full socket");
        a.close();
        assertTrue(senderEnded.get(5, SECONDS) instanceof ImsgChannelClosedException);
        Fds.close(s[1]);
    }

    @Test
    void readerOnAClosedChannelReportsAtOnce() throws Exception {
        int[] s = UnixSockets.streamPair();
        ImsgChannel c = new ImsgChannel(s[0], "never started");
        c.close();
        Recorder r = new Recorder();
        c.run(r);
        assertEquals("closed locally", r.awaitClosed());
        assertNull(r.received.peek());
        Fds.close(s[1]);
    }
}

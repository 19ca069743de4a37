package vmd.parent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgHandler;
import vmd.imsg.ImsgType;
import vmd.imsg.StatsSample;
import vmd.imsg.StatsSamples;
import vmd.metrics.Metric;
import vmd.sys.UnixSockets;

/** The parent's requests to one child over a real socketpair; the child is played by the test. */
@Timeout(60)
class StatsRequestsTest {
    private final int[] pair = UnixSockets.streamPair();
    private final ImsgChannel parent = new ImsgChannel(pair[0], "child");
    private final ImsgChannel child = new ImsgChannel(pair[1], "parent");
    private final StatsRequests requests = new StatsRequests();
    private final BlockingQueue<Imsg> atChild = new LinkedBlockingQueue<>();

    StatsRequestsTest() {
        parent.start((ch, msg) -> {
            if (msg.type() == ImsgType.STATS_RESPONSE) requests.answered(ch, msg);
        });
        child.start(new ImsgHandler() {
            @Override
            public void handle(ImsgChannel ch, Imsg msg) {
                atChild.add(msg);
            }
        });
    }

    @AfterEach
    void close() {
        parent.close();
        child.close();
    }

    @Test
    void eachAnswerCompletesItsOwnRequest() throws Exception {
        CompletableFuture<List<StatsSample>> first = requests.ask(parent), second = requests.ask(parent);
        Imsg r1 = atChild.poll(30, TimeUnit.SECONDS), r2 = atChild.poll(30, TimeUnit.SECONDS);
        assertEquals(ImsgType.STATS_REQUEST, r1.type());
        assertTrue(r1.peerId() != r2.peerId());
        StatsSample s = Metric.VM_VCPUS.sample(2);
        child.send(Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of(s))).withPeerId(r2.peerId()));
        assertEquals(List.of(s), second.get());
        assertFalse(first.isDone());
        child.send(Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of())).withPeerId(r1.peerId()));
        assertEquals(List.of(), first.get());
        assertEquals(0, requests.pending());
    }

    @Test
    void aMalformedAnswerFailsItsRequestAndTheChannelStaysOpen() throws Exception {
        CompletableFuture<List<StatsSample>> bad = requests.ask(parent);
        Imsg r = atChild.poll(30, TimeUnit.SECONDS);
        child.send(Imsg.of(ImsgType.STATS_RESPONSE, new byte[] {7, 7, 7}).withPeerId(r.peerId()));
        assertThrows(ExecutionException.class, bad::get);
        CompletableFuture<List<StatsSample>> good = requests.ask(parent);
        Imsg r2 = atChild.poll(30, TimeUnit.SECONDS);
        child.send(Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of())).withPeerId(r2.peerId()));
        assertEquals(List.of(), good.get());
        assertFalse(parent.isClosed());
    }

    @Test
    void aRequestThatTimesOutIsForgottenAndItsLateAnswerIgnored() throws Exception {
        CompletableFuture<List<StatsSample>> slow = requests.ask(parent);
        Imsg r = atChild.poll(30, TimeUnit.SECONDS);
        slow.complete(null); // what the collector's timeout does
        assertEquals(0, requests.pending());
        child.send(Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of())).withPeerId(r.peerId()));
        CompletableFuture<List<StatsSample>> next = requests.ask(parent);
        Imsg r2 = atChild.poll(30, TimeUnit.SECONDS);
        child.send(Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of())).withPeerId(r2.peerId()));
        assertEquals(List.of(), next.get());
    }

    @Test
    void withoutAChannelTheRequestFailsAtOnce() {
        assertTrue(requests.ask(null).isCompletedExceptionally());
        parent.close();
        assertTrue(requests.ask(parent).isCompletedExceptionally());
    }
}

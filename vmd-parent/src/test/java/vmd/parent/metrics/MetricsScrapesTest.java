package vmd.parent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.ImsgType;
import vmd.imsg.StatsSample;
import vmd.imsg.StatsSamples;
import vmd.metrics.Metric;

/** The control process's side of a scrape, against a parent played by the test. */
class MetricsScrapesTest {
    private final List<Imsg> sent = new ArrayList<>();

    private static Imsg part(int id, StatsSample... s) {
        return Imsg.of(ImsgType.STATS_RESPONSE, new StatsSamples(List.of(s))).withPeerId(id);
    }

    @Test
    void partsAreJoinedUntilTheEndAndConcurrentRequestsShareAScrape() throws Exception {
        Scrapes s = new Scrapes(sent::add, 60_000);
        CompletableFuture<List<StatsSample>> a = s.scrape();
        CompletableFuture<List<StatsSample>> b = s.scrape();
        assertSame(a, b, "one scrape at a time reaches the parent");
        assertEquals(1, sent.size());
        int id = sent.get(0).peerId();
        StatsSample x = Metric.VM_VCPUS.sample(1, "vm", "x"), y = Metric.VM_VCPUS.sample(2, "vm", "y");
        s.deliver(part(id, x));
        s.deliver(part(id + 1, y)); // not ours: dropped
        s.deliver(part(id, y));
        assertFalse(a.isDone());
        s.deliver(Imsg.of(ImsgType.STATS_END).withPeerId(id));
        assertEquals(List.of(x, y), a.get());
        CompletableFuture<List<StatsSample>> next = s.scrape();
        assertEquals(2, sent.size(), "a finished scrape is not reused");
        assertTrue(sent.get(1).peerId() != id);
        s.deliver(Imsg.of(ImsgType.STATS_END).withPeerId(sent.get(1).peerId()));
        assertEquals(List.of(), next.get());
    }

    @Test
    void aParentThatDoesNotFinishTimesOutAndItsLateAnswerIsDropped() {
        Scrapes s = new Scrapes(sent::add, 50);
        CompletableFuture<List<StatsSample>> a = s.scrape();
        ExecutionException e = assertThrows(ExecutionException.class, a::get);
        assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
        s.deliver(Imsg.of(ImsgType.STATS_END).withPeerId(sent.get(0).peerId())); // too late: nothing happens
        s.scrape();
        assertEquals(2, sent.size(), "the next request asks again");
    }

    @Test
    void aMalformedPartFailsTheScrape() {
        Scrapes s = new Scrapes(sent::add, 60_000);
        CompletableFuture<List<StatsSample>> a = s.scrape();
        s.deliver(Imsg.of(ImsgType.STATS_RESPONSE, new byte[] {1, 0, 0, 0, 9}).withPeerId(sent.get(0).peerId()));
        ExecutionException e = assertThrows(ExecutionException.class, a::get);
        assertInstanceOf(ImsgProtocolException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("unknown sample kind 9"), e.getCause().getMessage());
    }

    @Test
    void aParentThatCannotBeReachedFailsAtOnce() {
        Scrapes s = new Scrapes(m -> {
            throw new vmd.imsg.ImsgChannelClosedException("gone");
        }, 60_000);
        assertThrows(ExecutionException.class, () -> s.scrape().get());
    }
}

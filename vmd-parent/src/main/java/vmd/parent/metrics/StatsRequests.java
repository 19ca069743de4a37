package vmd.parent.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgChannel;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.ImsgType;
import vmd.imsg.StatsSample;
import vmd.imsg.StatsSamples;

/**
 * The parent's STATS_REQUESTs to one child that are waiting for their answer, each under its
 * own request id (the peer id both ways). A malformed answer is logged and dropped: that
 * child is missing from one scrape, and its channel, which also stops and pauses the VM,
 * stays open.
 */
public final class StatsRequests {
    private static final Logger log = LoggerFactory.getLogger(StatsRequests.class);

    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Map<Integer, CompletableFuture<List<StatsSample>>> pending = new ConcurrentHashMap<>();

    /**
     * Asks the child on {@code ch}; the future completes with its samples when it answers,
     * exceptionally if the request could not be sent. The caller bounds the wait.
     */
    public CompletableFuture<List<StatsSample>> ask(ImsgChannel ch) {
        CompletableFuture<List<StatsSample>> answer = new CompletableFuture<>();
        if (ch == null) {
            answer.completeExceptionally(new IllegalStateException("no channel"));
            return answer;
        }
        int id = nextId.getAndUpdate(v -> v == Integer.MAX_VALUE ? 1 : v + 1);
        pending.put(id, answer);
        answer.whenComplete((v, e) -> pending.remove(id)); // answered, timed out or failed: forgotten
        try {
            ch.send(Imsg.of(ImsgType.STATS_REQUEST).withPeerId(id));
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
        return answer;
    }

    /** A STATS_RESPONSE from the child (on its channel's reader thread). */
    public void answered(ImsgChannel ch, Imsg msg) {
        CompletableFuture<List<StatsSample>> answer = pending.get(msg.peerId());
        if (answer == null) return; // after the scrape gave up on it, or never asked for
        StatsSamples samples;
        try {
            samples = msg.decode(StatsSamples::decode);
        } catch (ImsgProtocolException e) {
            log.warn("{}: stats dropped: {}", ch.peer(), e.getMessage());
            answer.completeExceptionally(e);
            return;
        }
        answer.complete(samples.samples());
    }

    /** Requests waiting now (for tests: none may linger once answered or timed out). */
    int pending() {
        return pending.size();
    }
}

package vmd.parent.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.ImsgType;
import vmd.imsg.StatsSample;
import vmd.imsg.StatsSamples;

/**
 * The control process's scrapes of the parent: STATS_REQUEST out, STATS_RESPONSEs in until
 * STATS_END. HTTP requests that arrive while a scrape is under way share it, so however
 * many clients there are the parent does one scrape at a time; a scrape the parent does
 * not finish within {@link #PATIENCE_MILLIS} fails with a {@link TimeoutException}.
 */
public final class Scrapes {
    /** More than the parent's wait for its children (500 ms), for a parent busy starting a VM. */
    public static final long PATIENCE_MILLIS = 5_000;

    private final Consumer<Imsg> toParent;
    private final long patienceMillis;
    private int nextId = 1;
    private Scrape current; // guarded by this

    private static final class Scrape {
        final int id;
        final List<StatsSample> samples = new ArrayList<>();
        final CompletableFuture<List<StatsSample>> done = new CompletableFuture<>();

        Scrape(int id) {
            this.id = id;
        }
    }

    public Scrapes(Consumer<Imsg> toParent) {
        this(toParent, PATIENCE_MILLIS);
    }

    Scrapes(Consumer<Imsg> toParent, long patienceMillis) {
        this.toParent = toParent;
        this.patienceMillis = patienceMillis;
    }

    /** Every sample of a scrape that is either under way or started now. */
    public CompletableFuture<List<StatsSample>> scrape() {
        Scrape s;
        synchronized (this) {
            if (current != null) return current.done;
            s = new Scrape(nextId);
            nextId = nextId == Integer.MAX_VALUE ? 1 : nextId + 1;
            current = s;
        }
        s.done.orTimeout(patienceMillis, TimeUnit.MILLISECONDS).whenComplete((v, e) -> finished(s));
        try {
            toParent.accept(Imsg.of(ImsgType.STATS_REQUEST).withPeerId(s.id));
        } catch (RuntimeException e) {
            s.done.completeExceptionally(e);
        }
        return s.done;
    }

    private synchronized void finished(Scrape s) {
        if (current == s) current = null;
    }

    /** STATS_RESPONSE or STATS_END from the parent; one for a scrape that gave up is dropped. */
    public void deliver(Imsg msg) {
        Scrape s;
        synchronized (this) {
            s = current != null && current.id == msg.peerId() ? current : null;
        }
        if (s == null) return;
        if (msg.type() == ImsgType.STATS_END) {
            List<StatsSample> all;
            synchronized (s) {
                all = List.copyOf(s.samples);
            }
            s.done.complete(all);
            return;
        }
        try {
            StatsSamples part = msg.decode(StatsSamples::decode);
            synchronized (s) {
                s.samples.addAll(part.samples());
            }
        } catch (ImsgProtocolException e) {
            s.done.completeExceptionally(e);
        }
    }

    /** Whether {@code msg} is a scrape's answer, for {@link #deliver}. */
    public static boolean isAnswer(Imsg msg) {
        return msg.type() == ImsgType.STATS_RESPONSE || msg.type() == ImsgType.STATS_END;
    }
}

package vmd.parent.vms;

import java.util.ArrayDeque;
import vmd.parent.config.DeviceRestarts;

/**
 * How often a crashed device process is restarted: at most {@code limit} restarts within
 * any {@code windowNanos}, as init systems bound a crash loop. A device that a hostile
 * guest can crash at will is restarted a few times and then left dead, not respawned
 * forever at the host's expense. vm.conf's {@code device restarts N per S} sets it
 * (default 3 per 60 s).
 */
final class RestartBudget {
    private final int limit;
    private final long windowNanos;
    private final ArrayDeque<Long> recent = new ArrayDeque<>();

    RestartBudget(int limit, long windowNanos) {
        if (limit < 0 || windowNanos <= 0) throw new IllegalArgumentException("restart budget " + limit + " per " + windowNanos + " ns");
        this.limit = limit;
        this.windowNanos = windowNanos;
    }

    static RestartBudget of(DeviceRestarts d) {
        return new RestartBudget(d.count(), d.seconds() * 1_000_000_000L);
    }

    /** Records a restart at {@code now} (System.nanoTime) if the budget allows one; false if spent. */
    boolean tryRestart(long now) {
        while (!recent.isEmpty() && now - recent.peekFirst() >= windowNanos) recent.pollFirst();
        if (recent.size() >= limit) return false;
        recent.addLast(now);
        return true;
    }

    @Override
    public String toString() {
        return limit + " restart" + (limit == 1 ? "" : "s") + " in " + windowNanos / 1_000_000_000L + " s";
    }
}

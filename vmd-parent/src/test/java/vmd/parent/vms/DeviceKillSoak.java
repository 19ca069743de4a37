package vmd.parent.vms;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import vmd.sys.Signals;

/**
 * Kills one device process of a running VM again and again at random moments while the
 * guest runs a soak command that prints "PREFIX N" after each completed iteration (the
 * test guest's {@code blksoak} and {@code netsoak}), and measures each restart: kill to
 * the parent's successor process, and kill to the guest's next completed iteration that
 * needed the successor (the stall the guest saw, plus up to one iteration). A kill the guest does not recover from within the patience ends
 * the soak with the console in the error.
 */
final class DeviceKillSoak {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final VmFixture fixture;
    private final Vm vm;
    private final String device;
    private final String progress;
    private final Random random;
    private final List<Long> respawnMillis = new ArrayList<>();
    private final List<Long> stallMillis = new ArrayList<>();
    private int kills, earlyKills;

    /**
     * @param device   the device's name prefix ("vioblk", "vionet")
     * @param progress the guest's progress line prefix ("blksoak: ")
     */
    DeviceKillSoak(VmFixture fixture, Vm vm, String device, String progress, long seed) {
        this.fixture = fixture;
        this.vm = vm;
        this.device = device;
        this.progress = progress;
        this.random = new Random(seed);
    }

    /**
     * {@code count} kills, each 50-800 ms after the guest made progress again; every tenth
     * instead hits the successor 0-400 ms after it was spawned, while it starts and the vm
     * process replays the setup to it, and the next kill waits for the guest again.
     */
    void run(int count) throws Exception {
        awaitProgressBeyond(0, System.nanoTime());
        boolean early = false;
        for (int i = 0; i < count; i++) {
            Thread.sleep(early ? random.nextInt(400) : 50 + random.nextInt(750));
            DeviceProcess d = fixture.onEvents(() -> vm.devices.stream()
                    .filter(p -> p.name().startsWith(device)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + device + " device: " + vm.lastReason())));
            int pid = fixture.onEvents(d::pid);
            long before = lastIteration();
            long t0 = System.nanoTime();
            Signals.kill(pid, Signals.SIGKILL);
            kills++;
            long deadline = t0 + PATIENCE.toNanos();
            while (!(fixture.onEvents(d::alive) && fixture.onEvents(d::pid) != pid)) {
                if (System.nanoTime() > deadline) throw new AssertionError(device + " not restarted after kill " + kills + ": " + vm.lastReason());
                Thread.sleep(2);
            }
            respawnMillis.add((System.nanoTime() - t0) / 1_000_000);
            early = i % 10 == 8 && i + 1 < count;
            if (early) {
                earlyKills++;
                continue;
            }
            // an iteration the guest finished just before the kill may print after it: the
            // next one is the first that surely needed the successor
            awaitProgressBeyond(before + 1, t0);
        }
    }

    private void awaitProgressBeyond(long iteration, long t0) throws InterruptedException {
        long deadline = t0 + PATIENCE.toNanos();
        while (lastIteration() <= iteration) {
            String console = fixture.console();
            if (console.contains("VMDTEST FAIL") || System.nanoTime() > deadline) {
                throw new AssertionError("the guest stopped after kill " + kills + " of " + device + ":\n" + tail(console));
            }
            Thread.sleep(2);
        }
        if (kills > 0) stallMillis.add((System.nanoTime() - t0) / 1_000_000);
    }

    /** The last complete progress line's iteration, 0 before the first. */
    long lastIteration() {
        String c = fixture.console();
        int end = c.lastIndexOf('\n');
        while (end > 0) {
            int start = c.lastIndexOf('\n', end - 1) + 1;
            String line = c.substring(start, end).trim();
            if (line.startsWith(progress)) {
                String n = line.substring(progress.length());
                if (n.chars().allMatch(Character::isDigit) && !n.isEmpty()) return Long.parseLong(n);
            }
            end = start - 1;
            if (c.length() - end > 4096) break; // progress lines come every few ms
        }
        return 0;
    }

    int kills() {
        return kills;
    }

    int restarts() {
        return respawnMillis.size();
    }

    String report() {
        return String.format("%s: %d kills (%d of them during the predecessor's restart), %d restarts; respawn p50 %d ms p99 %d ms;"
                + " guest stall p50 %d ms p99 %d ms", device, kills, earlyKills, restarts(), percentile(respawnMillis, 50),
                percentile(respawnMillis, 99),
                percentile(stallMillis, 50), percentile(stallMillis, 99));
    }

    static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) return -1;
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank)));
    }

    private static String tail(String console) {
        return console.length() > 3000 ? console.substring(console.length() - 3000) : console;
    }
}

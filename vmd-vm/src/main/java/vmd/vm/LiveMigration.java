package vmd.vm;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.memory.GuestMemory;
import vmd.memory.MappedRegion;
import vmd.memory.NonZeroPages;
import vmd.sys.Fds;
import vmd.sys.Mman;
import vmd.virtio.DirtyBitmap;
import vmd.vm.kvm.KvmVm;
import vmd.vm.snapshot.MigrationStream;
import vmd.vm.snapshot.SnapshotException;
import vmd.vm.snapshot.SnapshotWriter;
import vmd.vm.snapshot.StreamFd;
import vmd.vm.vhostuser.VhostUserFrontendDevice;
import vmd.vm.virtio.VirtioRng;

/**
 * The sending side of a live migration (the stream is {@link MigrationStream}'s):
 * pre-copy while the guest runs, then stop-and-copy.
 *
 * <ol>
 *   <li>HELLO with the machine's shape and CPUID; the destination answers whether it can take them.</li>
 *   <li>Logging on: KVM's dirty log for vCPU writes, a shared log that every vhost-user
 *       back-end marks (VHOST_F_LOG_ALL) and that this process's own devices mark.</li>
 *   <li>Every non-zero page, then rounds of the pages dirtied meanwhile, until a round is
 *       small enough to go in the downtime budget at the bandwidth measured so far (or
 *       after {@link #MAX_ROUNDS}).</li>
 *   <li>vCPUs paused, device queues stopped, the last dirty pages, STATE, and the
 *       destination's answer. Only then does this VM end.</li>
 * </ol>
 * If anything fails the logs go off, the devices go on and the guest runs again here.
 */
final class LiveMigration {
    private static final Logger log = LoggerFactory.getLogger(LiveMigration.class);
    static final int MAX_ROUNDS = 30;
    /** What the stop-and-copy may take at most, as QEMU's default downtime limit. */
    static final long DOWNTIME_BUDGET_NANOS = 300_000_000L;
    /**
     * While the rounds still shrink, go on until the rest would take this long to send:
     * a round costs the guest nothing, the last one is all downtime.
     */
    static final long FINAL_ROUND_NANOS = 5_000_000L;
    private static final long PAGE = MappedRegion.PAGE_SIZE;

    /** What the migration needs of the machine. */
    interface Machine {
        KvmVm vm();

        GuestMemory memory();

        /** The MACHINE and CPUID sections. */
        SnapshotWriter hello();

        /** Every section but memory; call with the guest paused and the devices quiesced. */
        SnapshotWriter state();

        List<VhostUserFrontendDevice> vhostUserDevices();

        VirtioRng rng();

        /** Pauses the vCPUs and stops every device queue. */
        void stop();

        /** Undoes {@link #stop}. */
        void resume();
    }

    /**
     * {@code setupMillis}: until the destination answered HELLO (its vm and device
     * processes start on the connection); {@code totalMillis} from then to its last answer,
     * as QEMU counts total-time from a destination already listening.
     */
    record Result(long setupMillis, long totalMillis, long downtimeMillis, long bytes, int rounds, long pagesSent) {
        String summary() {
            return String.format("migrated: %d ms total, %d ms downtime, %d MiB sent in %d rounds (%d pages), destination ready after %d ms",
                    totalMillis, downtimeMillis, bytes >> 20, rounds, pagesSent, setupMillis);
        }
    }

    private final Machine m;
    private final StreamFd out;
    private DirtyBitmap deviceLog;
    private long pagesSent;

    LiveMigration(Machine machine, int fd) {
        this.m = machine;
        this.out = new StreamFd(fd);
    }

    Result run() {
        long t0 = System.nanoTime();
        MigrationStream.writePreamble(out);
        MigrationStream.writeTag(out, MigrationStream.HELLO);
        m.hello().writeTo(out);
        MigrationStream.expectAck(out, "HELLO");
        long ready = System.nanoTime();
        int logFd = -1;
        boolean stopped = false;
        try {
            logFd = startLogging();
            long roundStart = System.nanoTime(), before = out.transferred();
            sendAllPages();
            sync();
            int rounds = 1;
            long[][] dirty;
            long previous = Long.MAX_VALUE;
            while (true) {
                double bytesPerNano = (out.transferred() - before) / (double) Math.max(1, System.nanoTime() - roundStart);
                dirty = takeDirty();
                long count = count(dirty);
                double sendNanos = count * PAGE / Math.max(bytesPerNano, 1e-3);
                log.debug("migration round {}: {} pages dirty, {} ms to send", rounds, count, (long) (sendNanos / 1e6));
                boolean small = sendNanos <= FINAL_ROUND_NANOS;
                boolean stalled = count >= previous && sendNanos <= DOWNTIME_BUDGET_NANOS; // the guest dirties as fast as we send
                if (small || stalled || rounds >= MAX_ROUNDS) break;
                previous = count;
                roundStart = System.nanoTime();
                before = out.transferred();
                send(dirty);
                sync();
                rounds++;
            }
            long pausedAt = System.nanoTime();
            m.stop();
            stopped = true;
            long quiesced = System.nanoTime();
            long[][] last = takeDirty();
            or(dirty, last);
            long lastPages = count(dirty);
            send(dirty);
            long pagesDone = System.nanoTime();
            MigrationStream.writeTag(out, MigrationStream.STATE);
            m.state().writeTo(out);
            long stateDone = System.nanoTime();
            MigrationStream.expectAck(out, "STATE");
            long now = System.nanoTime();
            log.info("migration downtime {} ms: stop {} ms, last {} pages {} ms, state {} ms, destination's restore {} ms",
                    ms(now - pausedAt), ms(quiesced - pausedAt), lastPages, ms(pagesDone - quiesced), ms(stateDone - pagesDone),
                    ms(now - stateDone));
            return new Result(ms(ready - t0), ms(now - ready), ms(now - pausedAt), out.transferred(), rounds + 1, pagesSent);
        } catch (RuntimeException e) {
            stopLogging();
            if (stopped) m.resume();
            throw e instanceof SnapshotException ? e : new SnapshotException("migration failed: " + e.getMessage(), e);
        } finally {
            if (logFd >= 0) Fds.closeQuietly(logFd);
        }
    }

    /**
     * Waits until the destination has taken everything sent so far. Socket buffers hold
     * megabytes: without this the destination could still be copying earlier rounds when
     * the guest stops, and that would count as downtime; with it the bandwidth measured
     * per round is the one that reaches the destination.
     */
    private void sync() {
        MigrationStream.writeTag(out, MigrationStream.SYNC);
        MigrationStream.expectAck(out, "SYNC");
    }

    /** The shared log for devices (a memfd each back-end maps) and KVM's log, both on. */
    private int startLogging() {
        long end = 0;
        for (MappedRegion r : m.memory().regions()) end = Math.max(end, r.region().end());
        long size = DirtyBitmap.bytesFor(end);
        int fd = Mman.memfdCreate("vmd-dirty-log", Mman.MFD_CLOEXEC);
        Mman.ftruncate(fd, size);
        long address = Mman.mmapShared(fd, size, 0);
        deviceLog = new DirtyBitmap(MemorySegment.ofAddress(address).reinterpret(size));
        m.vm().setDirtyLogging(true);
        m.rng().setDirtyLog(deviceLog);
        for (VhostUserFrontendDevice d : m.vhostUserDevices()) d.startDirtyLog(fd, size);
        return fd;
    }

    private void stopLogging() {
        try {
            for (VhostUserFrontendDevice d : m.vhostUserDevices()) d.stopDirtyLog();
            m.rng().setDirtyLog(null);
            m.vm().setDirtyLogging(false);
        } catch (RuntimeException e) {
            log.warn("turning the dirty logs off: {}", e.getMessage());
        }
    }

    private void sendAllPages() {
        List<MappedRegion> regions = m.memory().regions();
        for (MappedRegion r : regions) sendRegion(r, NonZeroPages.of(m.memory(), r));
    }

    /** Per region, the pages written since the last call by vCPUs or devices. */
    private long[][] takeDirty() {
        List<MappedRegion> regions = m.memory().regions();
        long[][] dirty = new long[regions.size()][];
        for (int i = 0; i < regions.size(); i++) {
            MappedRegion r = regions.get(i);
            dirty[i] = m.vm().takeDirtyLog(i);
            deviceLog.drain(r.region().guestAddress() / PAGE, r.region().size() / PAGE, dirty[i]);
        }
        return dirty;
    }

    private void send(long[][] dirty) {
        List<MappedRegion> regions = m.memory().regions();
        for (int i = 0; i < regions.size(); i++) sendRegion(regions.get(i), dirty[i]);
    }

    private void sendRegion(MappedRegion r, long[] bits) {
        NonZeroPages.forEachRun(bits, r.region().size() / PAGE, (first, n) -> {
            MigrationStream.writePagesHeader(out, r.region().guestAddress() + first * PAGE, (int) n);
            out.write(r.hostAddress() + first * PAGE, n * PAGE);
            pagesSent += n;
        });
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static long count(long[][] dirty) {
        long n = 0;
        for (long[] region : dirty) for (long w : region) n += Long.bitCount(w);
        return n;
    }

    private static void or(long[][] into, long[][] more) {
        for (int i = 0; i < into.length; i++) for (int w = 0; w < into[i].length; w++) into[i][w] |= more[i][w];
    }
}

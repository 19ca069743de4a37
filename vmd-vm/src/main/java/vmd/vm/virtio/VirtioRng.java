package vmd.vm.virtio;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.memory.GuestMemory;
import vmd.sys.Fds;
import vmd.vhostuser.RingThread;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;

/**
 * virtio-rng (virtio 1.2 section 5.4), in process: one request queue whose writable
 * buffers are filled with random bytes. A thread per started queue waits on the kick
 * eventfd, serves every available chain, and writes the call eventfd when the driver
 * wants an interrupt. Entropy comes from an InputStream the parent opened (the vm
 * process opens no paths), or from SecureRandom.
 *
 * <p>A hostile ring (VirtQueueException) or a failing entropy source marks the device
 * DEVICE_NEEDS_RESET through {@link DeviceEvents}; the thread then idles until the queue
 * is stopped. At most {@link #MAX_FILL} bytes are filled per chain.
 */
public final class VirtioRng implements VirtioDevice {
    private static final Logger log = LoggerFactory.getLogger(VirtioRng.class);

    public static final int QUEUE_SIZE = 64;
    public static final int MAX_FILL = 64 * 1024;

    /** Where random bytes come from. */
    @FunctionalInterface
    public interface Entropy {
        void fill(byte[] out, int length) throws IOException;
    }

    private final GuestMemory memory;
    private final Entropy entropy;
    private DeviceEvents events;
    private Worker worker;
    /** While the VM migrates: the pages this device writes (the vm process's own log). */
    private volatile vmd.virtio.DirtyLog dirtyLog = vmd.virtio.DirtyLog.NONE;

    public synchronized void setDirtyLog(vmd.virtio.DirtyLog log) {
        dirtyLog = log == null ? vmd.virtio.DirtyLog.NONE : log;
        if (worker != null && worker.queue != null) worker.queue.setDirtyLog(dirtyLog); // marks from the next used element on
    }

    /** Entropy read from {@code source} (e.g. /dev/urandom opened by the parent). */
    public VirtioRng(GuestMemory memory, InputStream source) {
        this(memory, (out, length) -> {
            int n = source.readNBytes(out, 0, length);
            if (n < length) throw new IOException("entropy source ended");
        });
    }

    /** Entropy from a SecureRandom. */
    public VirtioRng(GuestMemory memory, SecureRandom random) {
        this(memory, (out, length) -> {
            byte[] b = length == out.length ? out : new byte[length];
            random.nextBytes(b);
            if (b != out) System.arraycopy(b, 0, out, 0, length);
        });
    }

    public VirtioRng(GuestMemory memory, Entropy entropy) {
        this.memory = memory;
        this.entropy = entropy;
    }

    @Override
    public int deviceType() {
        return VirtioIds.RNG;
    }

    @Override
    public long deviceFeatures() {
        return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC)
                | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int maxQueueSize(int queue) {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return 0;
    }

    @Override
    public void readConfig(int offset, byte[] data) {}

    @Override
    public void writeConfig(int offset, byte[] data) {}

    @Override
    public void attach(DeviceEvents events) {
        this.events = events;
    }

    @Override
    public void setDriverFeatures(long features) {}

    @Override
    public synchronized void startQueue(QueueSetup setup) {
        if (setup.index() != 0) throw new IllegalArgumentException("virtio-rng has one queue");
        if (worker != null) stopQueue(0);
        worker = new Worker(setup);
        worker.thread.start();
    }

    @Override
    public synchronized int stopQueue(int queue) {
        if (worker == null) return 0;
        Worker w = worker;
        worker = null;
        return w.stop();
    }

    @Override
    public synchronized void reset() {
        if (worker != null) stopQueue(0);
    }

    @Override
    public synchronized void close() {
        reset();
    }

    private final class Worker {
        final QueueSetup setup;
        final RingThread thread;
        volatile int nextAvail;
        volatile VirtQueue queue;
        final byte[] scratch = new byte[4096];

        Worker(QueueSetup setup) {
            this.setup = setup;
            this.nextAvail = setup.nextAvail();
            this.thread = new RingThread("virtio-rng", this::run);
        }

        int stop() {
            thread.stop();
            return nextAvail;
        }

        void run() {
            VirtQueue queue = null;
            boolean broken = false;
            try {
                queue = new VirtQueue(memory, setup.size(), setup.descAddress(), setup.driverAddress(),
                        setup.deviceAddress(), setup.features(), setup.nextAvail());
                this.queue = queue;
                queue.setDirtyLog(dirtyLog); // after publishing it, so a log set meanwhile is not missed
            } catch (VirtQueueException e) {
                fail("queue setup: " + e.getMessage());
                broken = true;
            }
            vmd.sys.PollSet set = new vmd.sys.PollSet();
            set.set(new int[] {thread.stopFd(), setup.kickFd()});
            boolean first = true;
            while (!thread.stopping()) {
                if (!first) {
                    try {
                        set.poll(-1);
                    } catch (RuntimeException e) {
                        log.error("virtio-rng: poll failed", e);
                        fail("poll: " + e.getMessage());
                        return;
                    }
                    if (thread.stopping()) break;
                    EventFds.drain(setup.kickFd());
                }
                first = false; // serve anything published before we started, without waiting for a kick
                if (broken) continue;
                try {
                    serve(queue);
                } catch (VirtQueueException e) {
                    fail(e.getMessage());
                    broken = true;
                } catch (IOException e) {
                    fail("entropy source: " + e.getMessage());
                    broken = true;
                } catch (RuntimeException e) {
                    log.error("virtio-rng: unexpected failure", e);
                    fail(e.toString());
                    broken = true;
                } finally {
                    if (queue != null) nextAvail = queue.nextAvail();
                }
            }
        }

        private void serve(VirtQueue queue) throws VirtQueueException, IOException {
            boolean pushed = false;
            while (true) {
                queue.disableNotification();
                DescriptorChain chain;
                while ((chain = queue.pop()) != null) {
                    queue.pushUsed(chain, fill(chain));
                    pushed = true;
                }
                if (!queue.enableNotification()) break;
            }
            if (pushed && queue.needsNotification()) Fds.eventfdSignal(setup.callFd());
        }

        private int fill(DescriptorChain chain) throws IOException {
            int total = 0;
            for (DescriptorChain.Segment s : chain.writableSegments()) {
                ByteBuffer dst = s.buffer().duplicate();
                while (dst.hasRemaining() && total < MAX_FILL) {
                    int n = Math.min(Math.min(dst.remaining(), scratch.length), MAX_FILL - total);
                    entropy.fill(scratch, n);
                    dst.put(scratch, 0, n);
                    total += n;
                }
                if (total >= MAX_FILL) break;
            }
            return total;
        }

        private void fail(String why) {
            log.warn("virtio-rng: {}", why);
            DeviceEvents e = events;
            if (e != null) e.needsReset("virtio-rng: " + why);
        }
    }
}

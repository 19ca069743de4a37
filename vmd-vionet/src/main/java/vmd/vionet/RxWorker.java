package vmd.vionet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.IoVecs;
import vmd.sys.Native;
import vmd.sys.PollSet;
import vmd.vhostuser.RingThread;
import vmd.vhostuser.Vring;
import vmd.vhostuser.VringWorker;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;

/**
 * The receive ring's thread: waits for the tap, the guest's kick (new buffers) and frames
 * vionet made itself; moves frames into the guest's buffers.
 *
 * <p>Before reading the tap it takes enough buffers for the largest frame the guest
 * accepts (several with MRG_RXBUF, as QEMU does) and reads straight into them with one
 * readv, the guest's buffers first and a staging buffer last, so a frame that does not
 * fit is detected (and dropped) instead of truncated. When the guest has no buffers it
 * stops reading the tap until it kicks: the kernel queues (and past the tap's queue
 * length drops, counting) what arrives meanwhile. Buffers taken and not filled are kept
 * for the next frame. With {@code locked lladdr} a frame is read into the staging buffer
 * and copied after the check, so frames for other stations never touch guest memory.
 */
final class RxWorker {
    private static final int EINTR = 4, EAGAIN = 11;
    private static final Logger log = LoggerFactory.getLogger(RxWorker.class);
    private static final int POLLNVAL = 0x20;
    /** Frames per batch before the driver is interrupted. */
    private static final int BATCH = 64;

    private final NetDevice dev;
    private final Vring vring;
    private final VirtQueue queue;
    private final int tapFd;
    private final int pair;
    /** The eventfd of frames vionet made, or -1 on a pair that does not deliver them. */
    private final int injectFd;
    private final RingThread thread;
    private final NetCounters c;

    private final ArrayDeque<DescriptorChain> held = new ArrayDeque<>();
    private final ByteBuffer staging = ByteBuffer.allocateDirect(VirtioNet.HDR_LEN + VirtioNet.MAX_GSO_FRAME + 4096);
    private final IoVecs iov = new IoVecs();
    /** Reused for the header fields this thread writes, so a frame allocates nothing. */
    private final ByteBuffer zeros = ByteBuffer.allocate(VirtioNet.HDR_LEN);
    private final ByteBuffer numBuffers = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
    private byte[] pendingInjected;
    private boolean broken;
    private int pushed;
    private long tapQuietUntil;

    RxWorker(NetDevice dev, Vring vring, int pair, int tapFd, int injectFd) {
        this.dev = dev;
        this.vring = vring;
        this.queue = vring.queue();
        this.pair = pair;
        this.tapFd = tapFd;
        this.injectFd = injectFd;
        this.c = dev.counters();
        this.thread = new RingThread(dev.name() + "-rx" + (pair == 0 ? "" : pair), this::run);
    }

    RxWorker start() {
        thread.start();
        return this;
    }

    Vring vring() {
        return vring;
    }

    void stop() {
        thread.stop();
    }

    private void run() {
        PollSet withTap = new PollSet();
        withTap.set(thread.stopFd(), vring.kickFd(), injectFd, tapFd);
        PollSet withoutTap = new PollSet();
        withoutTap.set(thread.stopFd(), vring.kickFd(), injectFd);
        boolean starved = false;
        while (!thread.stopping()) {
            if (!broken) {
                try {
                    starved = serve();
                } catch (VirtQueueException e) {
                    log.warn("{}: broken receive ring: {}", thread.name(), e.getMessage());
                    vring.signalError();
                    broken = true;
                } catch (RuntimeException e) {
                    log.error("{}: receive failure", thread.name(), e);
                    vring.signalError();
                    broken = true;
                }
            }
            long now = System.currentTimeMillis();
            boolean quiet = now < tapQuietUntil;
            PollSet set = starved || broken || quiet ? withoutTap : withTap;
            try {
                // Not -1: a lost kick must not starve the ring for good (VringWorker.RECHECK_MILLIS).
                set.poll(quiet ? (int) Math.max(1, Math.min(tapQuietUntil - now, VringWorker.RECHECK_MILLIS))
                        : VringWorker.RECHECK_MILLIS);
            } catch (RuntimeException e) {
                log.warn("{}: poll failed: {}", thread.name(), e.getMessage());
                vring.signalError();
                return;
            }
            if (thread.stopping()) break;
            if ((set.revents(1) & (POLLNVAL | Fds.POLLERR)) != 0) {
                log.warn("{}: kick descriptor unusable", thread.name());
                vring.signalError();
                return;
            }
            if (set.ready(1)) Fds.eventfdDrain(vring.kickFd());
            if (set.ready(2) && injectFd >= 0) Fds.eventfdDrain(injectFd);
            if (set == withTap && (set.revents(3) & (POLLNVAL | Fds.POLLERR | Fds.POLLHUP)) != 0) {
                dev.warn("tap descriptor reports revents 0x{}; pausing reads for 1 s", Integer.toHexString(set.revents(3)));
                tapQuietUntil = System.currentTimeMillis() + 1000;
            }
        }
    }

    /** Delivers what it can; returns true if it stopped for want of guest buffers. */
    boolean serve() throws VirtQueueException {
        pushed = 0;
        boolean starved = false;
        int frames = 0;
        queue.disableNotification();
        try {
            while (!thread.stopping()) {
                if (pendingInjected == null && injectFd >= 0) pendingInjected = dev.pollInjected();
                if (pendingInjected != null) {
                    if (!copyIn(pendingInjected, pendingInjected.length)) {
                        starved = true;
                        break;
                    }
                    pendingInjected = null;
                    continue;
                }
                if (System.currentTimeMillis() < tapQuietUntil) break;
                if (!take(dev.headerLength() + dev.maxRxFrame())) {
                    starved = true;
                    c.rxNoBuffers.incrementAndGet();
                    break;
                }
                int r = readTap();
                if (r < 0) break; // nothing more now
                if (++frames % BATCH == 0) notifyDriver();
            }
        } finally {
            notifyDriver();
        }
        return starved;
    }

    private void notifyDriver() {
        if (pushed > 0 && queue.needsNotification()) vring.signalUsed();
        pushed = 0;
    }

    /**
     * Holds buffers with room for {@code need} bytes (one chain without MRG_RXBUF); false if
     * the guest has not published enough (notifications are then enabled).
     */
    private boolean take(long need) throws VirtQueueException {
        while (true) {
            if (!held.isEmpty() && (!dev.mergeable() || capacity() >= need || held.size() >= queue.size())) return true;
            DescriptorChain ch = queue.pop();
            if (ch == null) {
                if (queue.enableNotification()) {
                    queue.disableNotification();
                    continue;
                }
                return false;
            }
            if (ch.writableLength() < dev.headerLength()) {
                // Not even room for a header: give it back empty (the driver drops it) and go on.
                queue.pushUsed(ch, 0);
                pushed++;
                c.rxErrors.incrementAndGet();
                continue;
            }
            held.addLast(ch);
        }
    }

    private long capacity() {
        long cap = 0;
        for (DescriptorChain ch : held) cap += ch.writableLength();
        return cap;
    }

    /** Reads one frame; returns its length, or -1 if the tap had none (or failed). */
    private int readTap() {
        boolean locked = dev.filter().locked();
        boolean vnet = dev.tapVnetHdr();
        int h = dev.headerLength();
        iov.clear();
        staging.clear();
        int usable; // bytes of guest buffers in the iovec
        if (locked) {
            if (!vnet) {
                iov.add(staging, h, staging.capacity() - h);
            } else {
                iov.add(staging, 0, staging.capacity());
            }
            usable = 0;
        } else {
            usable = 0;
            int skip = vnet ? 0 : h;
            boolean full = false;
            for (DescriptorChain ch : held) {
                java.util.List<DescriptorChain.Segment> segs = ch.writableSegments();
                for (int i = 0; i < segs.size(); i++) { // by index: no iterator per frame
                    DescriptorChain.Segment s = segs.get(i);
                    int len = s.length();
                    if (skip >= len) {
                        skip -= len;
                        usable += len;
                        continue;
                    }
                    if (iov.count() >= IoVecs.MAX - 1) {
                        full = true;
                        break;
                    }
                    iov.add(s.buffer(), skip, len - skip);
                    usable += len;
                    skip = 0;
                }
                if (full || !dev.mergeable()) break;
            }
            iov.add(staging, 0, staging.capacity());
        }
        long n;
        while (true) {
            n = Native.libc().readv(tapFd, iov.address(), iov.count());
            if (n >= 0) break;
            int errno = Native.errno();
            if (errno == EINTR) continue;
            if (errno != EAGAIN) {
                c.rxErrors.incrementAndGet();
                dev.warn("tap read: errno {}; pausing reads for 1 s", errno);
                tapQuietUntil = System.currentTimeMillis() + 1000;
            }
            return -1;
        }
        int total = (int) n + (vnet ? 0 : h);
        int frameLen = total - h;
        if (frameLen < VirtioNet.ETH_HLEN) {
            c.rxErrors.incrementAndGet();
            return 0;
        }
        if (locked) {
            if (!dev.filter().allowIncoming(staging, h, frameLen)) {
                c.rxFiltered.incrementAndGet();
                return frameLen;
            }
            if (!vnet) zero(staging, 0, h);
            if (dev.mergeable() ? capacity() < total : held.peekFirst().writableLength() < total) {
                c.rxOversize.incrementAndGet();
                return frameLen;
            }
            staging.limit(total);
            scatter(staging, total);
            return frameLen;
        }
        if (total > usable) {
            c.rxOversize.incrementAndGet();
            dev.warn("dropped a {}-byte frame: the guest's buffers hold {}", frameLen, usable - h);
            return frameLen;
        }
        complete(total, !vnet);
        return frameLen;
    }

    private static void zero(ByteBuffer b, int off, int len) {
        for (int i = 0; i < len; i++) b.put(off + i, (byte) 0);
    }

    /**
     * The frame (header included, {@code total} bytes) is in the held buffers: fix the
     * header (zero it if the tap gave none; clear offload flags the guest did not take),
     * and give the buffers to the driver.
     */
    private void complete(int total, boolean zeroHeader) {
        DescriptorChain first = held.peekFirst();
        if (zeroHeader) first.writeWritable(0, zeros.clear().limit(dev.headerLength()));
        else if (!NetDevice.has(dev.negotiated(), VirtioNet.F_GUEST_CSUM)) {
            first.writeWritable(0, zeros.clear().limit(2)); // flags and gso_type: none without GUEST_CSUM
        }
        deliver(total);
    }

    /** Copies a whole frame (header first, {@code total} bytes from {@code src}'s position 0) into the held buffers. */
    private void scatter(ByteBuffer src, int total) {
        int at = 0;
        for (DescriptorChain ch : held) {
            if (at >= total) break;
            ByteBuffer part = src.duplicate();
            part.position(at).limit((int) Math.min(total, at + ch.writableLength()));
            int n = ch.writeWritable(0, part);
            at += n;
            if (n == 0) break;
        }
        deliver(at);
    }

    /**
     * Gives the driver the first held buffers, which hold a frame of {@code total} bytes
     * (header included): num_buffers first (it is read once the first buffer is used),
     * then each buffer with the bytes it got.
     */
    private void deliver(int total) {
        int h = dev.headerLength();
        int count = 0;
        long covered = 0;
        for (DescriptorChain ch : held) {
            if (covered >= total) break;
            covered += ch.writableLength();
            count++;
        }
        if (h == VirtioNet.HDR_LEN) {
            numBuffers.clear();
            numBuffers.putShort(0, (short) count);
            held.peekFirst().writeWritable(VirtioNet.HDR_NUM_BUFFERS, numBuffers);
        }
        long left = total;
        for (int i = 0; i < count; i++) {
            DescriptorChain ch = held.pollFirst();
            int n = (int) Math.min(left, ch.writableLength());
            queue.pushUsed(ch, n);
            pushed++;
            left -= n;
        }
        c.rxFrames.incrementAndGet();
        c.pairRxFrames.incrementAndGet(pair);
        c.rxBytes.addAndGet(total - h);
    }

    /** Delivers a frame vionet made (no header); false if the guest lacks buffers for it now. */
    private boolean copyIn(byte[] frame, int len) throws VirtQueueException {
        int h = dev.headerLength();
        int total = h + len;
        if (!take(total)) return false;
        if (dev.mergeable() ? capacity() < total : held.peekFirst().writableLength() < total) {
            c.rxOversize.incrementAndGet();
            return true;
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        b.position(h);
        b.put(frame, 0, len);
        b.flip();
        scatter(b, total);
        return true;
    }
}

package vmd.vionet;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.tap.TapFd;
import vmd.vhostuser.Vring;
import vmd.vhostuser.VringWorker;
import vmd.vhostuser.VhostUserDevice;
import vmd.virtio.VirtioFeatures;

/**
 * The virtio-net device on a tap. Queue pair k is rings 2k (receive: tap to guest, served
 * by an {@link RxWorker}) and 2k+1 (transmit: guest to tap, a {@link VringWorker} running
 * a {@link TxPath}), on its own queue of a multi-queue tap. Frames move straight between the tap and guest
 * buffers with readv/writev; the tap's vnet header carries checksum offload and TSO in
 * both directions. Only {@code locked lladdr} (frames for others must not reach guest
 * memory) and the frames vionet answers itself ({@link LocalServices}: DHCP and router
 * advertisements on a local interface) are copied.
 *
 * <p><b>Queue pairs.</b> With more than one, MQ and CTRL_VQ are offered and GET_QUEUE_NUM
 * answers the pair count (as QEMU and DPDK read it for net); the control queue is the
 * last ring (2N; ring 2 if the driver took CTRL_VQ without MQ). Who serves it depends on
 * the front-end: QEMU serves it itself and tells us the pairs in use by enabling and
 * disabling rings (SET_VRING_ENABLE, which arrives here as start/stopQueue); our vm
 * process is device-agnostic and hands every ring over, control queue included, so
 * vionet serves it too. The rule covering both: a pair beyond the first is active when
 * both its rings run and, once a control queue has been started here, it is below the
 * driver's VQ_PAIRS_SET (1 until the driver sends one, as the spec says). An inactive
 * pair's tap queue is detached, so the kernel steers no frames to a queue nobody reads.
 *
 * <p>Nothing a guest does can crash it: a malformed ring stops that ring and is reported
 * on its error eventfd; bad frames are dropped and counted in {@link #counters()}; bad
 * control commands are answered VIRTIO_NET_ERR.
 */
public final class NetDevice implements VhostUserDevice {
    private static final Logger log = LoggerFactory.getLogger(NetDevice.class);
    static final int RX = 0, TX = 1;
    static final int QUEUE_SIZE = 1024;
    static final int MTU = 1500;
    /** How many DHCP replies may wait for receive buffers. */
    static final int MAX_INJECTED = 16;
    /** The most queue pairs a device serves (the vm process's MAX_QUEUES bounds 2N+1 rings anyway). */
    public static final int MAX_PAIRS = 64;

    private final String name;
    /**
     * The longest a transmit ring is watched after it runs dry before the guest is asked
     * to kick again (Vring.processAvailable, adaptive below this). Measured with
     * bench/net-run.sh (64-byte UDP out of a TCG guest): without it the guest kicked for
     * almost every frame and sent 0.58x what it sends through QEMU's own virtio-net,
     * which batches the same way; with a fixed 50 us watch 1.2-1.6x, but the spinning
     * after every acknowledgement of a TCP stream into the guest took CPU from its vCPU.
     */
    static final long TX_LINGER_NANOS = 50_000;
    private final List<TapFd> taps;
    private final int pairs;
    private final byte[] mac;
    private final MacFilter filter;
    private final LocalServices local;
    private final NetCounters counters;
    final ConcurrentLinkedQueue<byte[]> injected = new ConcurrentLinkedQueue<>();
    private final AtomicInteger injectedCount = new AtomicInteger();
    private final int injectFd = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private volatile long features;
    private volatile int hdrLen = VirtioNet.HDR_LEN;
    private volatile boolean linkUp = true;
    private final AtomicInteger logBudget = new AtomicInteger(20);

    // Guarded by this: the rings the back-end started, and what serves them.
    private final Vring[] rxRings, txRings;
    private final RxWorker[] rxWorkers;
    private final VringWorker[] txWorkers;
    private final boolean[] attached;
    private Vring ctrlRing;
    /** The driver's VQ_PAIRS_SET; 0 while no control queue was started here (the front-end's enables decide). */
    private int requestedPairs;
    // The control queue's worker: stopped outside the lock (its thread takes the lock).
    private VringWorker ctrl;

    /**
     * @param dhcp the responder of a local interface, or null
     */
    public NetDevice(String name, TapFd tap, byte[] mac, boolean locked, DhcpResponder dhcp) {
        this(name, List.of(tap), mac, locked, dhcp);
    }

    /**
     * @param taps one tap queue per queue pair (one tap descriptor: a single pair)
     * @param dhcp the responder of a local interface, or null
     */
    public NetDevice(String name, List<TapFd> taps, byte[] mac, boolean locked, DhcpResponder dhcp) {
        if (taps.isEmpty() || taps.size() > MAX_PAIRS) throw new IllegalArgumentException(taps.size() + " tap queues");
        this.name = name;
        this.taps = List.copyOf(taps);
        this.pairs = taps.size();
        this.mac = mac.clone();
        this.filter = new MacFilter(mac, locked);
        this.local = new LocalServices(this, dhcp);
        this.counters = new NetCounters(pairs);
        rxRings = new Vring[pairs];
        txRings = new Vring[pairs];
        rxWorkers = new RxWorker[pairs];
        txWorkers = new VringWorker[pairs];
        attached = new boolean[pairs];
        for (int k = 0; k < pairs; k++) {
            Fds.setNonBlocking(taps.get(k).fd(), true);
            attached[k] = true;
            if (k > 0) attach(k, false); // until its pair is active
        }
    }

    /** Under {@code local inet6}: answer the guest's router solicitations. Set before the device serves. */
    public NetDevice router(RouterAdvertiser ra) {
        local.router(ra);
        return this;
    }

    public NetCounters counters() {
        return counters;
    }

    public String name() {
        return name;
    }

    public int queuePairs() {
        return pairs;
    }

    @Override
    public long features() {
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC)
                | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX)
                | VirtioNet.bit(VirtioNet.F_MAC) | VirtioNet.bit(VirtioNet.F_STATUS) | VirtioNet.bit(VirtioNet.F_MRG_RXBUF)
                | VirtioNet.bit(VirtioNet.F_MTU);
        if (tapVnetHdr()) {
            f |= VirtioNet.bit(VirtioNet.F_CSUM) | VirtioNet.bit(VirtioNet.F_GUEST_CSUM)
                    | VirtioNet.bit(VirtioNet.F_HOST_TSO4) | VirtioNet.bit(VirtioNet.F_HOST_TSO6) | VirtioNet.bit(VirtioNet.F_HOST_ECN)
                    | VirtioNet.bit(VirtioNet.F_GUEST_TSO4) | VirtioNet.bit(VirtioNet.F_GUEST_TSO6) | VirtioNet.bit(VirtioNet.F_GUEST_ECN);
        }
        if (pairs > 1) f |= VirtioNet.bit(VirtioNet.F_CTRL_VQ) | VirtioNet.bit(VirtioNet.F_MQ);
        return f;
    }

    /** Rings: two per pair, plus the control queue when there is more than one pair. */
    @Override
    public int queueCount() {
        return pairs == 1 ? 2 : 2 * pairs + 1;
    }

    /** GET_QUEUE_NUM for net counts queue pairs (QEMU's net/vhost-user.c compares it with queues=). */
    @Override
    public int queueNum() {
        return pairs;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public byte[] config() {
        return VirtioNet.config(mac, linkUp ? VirtioNet.S_LINK_UP : 0, pairs, MTU);
    }

    @Override
    public synchronized void setFeatures(long acked) {
        long f = acked & ~VirtioFeatures.bit(VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES);
        features = f;
        hdrLen = VirtioNet.headerLength(f);
        if (tapVnetHdr()) {
            int off = 0;
            if (has(f, VirtioNet.F_GUEST_CSUM)) {
                off |= TapFd.TUN_F_CSUM;
                if (has(f, VirtioNet.F_GUEST_TSO4)) off |= TapFd.TUN_F_TSO4;
                if (has(f, VirtioNet.F_GUEST_TSO6)) off |= TapFd.TUN_F_TSO6;
                if (has(f, VirtioNet.F_GUEST_ECN) && (off & (TapFd.TUN_F_TSO4 | TapFd.TUN_F_TSO6)) != 0) off |= TapFd.TUN_F_TSO_ECN;
            }
            // Both are per tap, not per queue; the first queue is always attached.
            taps.get(0).setVnetHeaderSize(hdrLen);
            taps.get(0).setOffload(off);
        }
        log.info("{}: features 0x{}, header {} bytes, tap {}{}", name, Long.toHexString(f), hdrLen, taps.get(0),
                pairs > 1 ? ", " + pairs + " queue pairs" + (has(f, VirtioNet.F_MQ) ? "" : " offered, one used (no MQ)") : "");
    }

    static boolean has(long features, int bit) {
        return (features & (1L << bit)) != 0;
    }

    long negotiated() {
        return features;
    }

    int headerLength() {
        return hdrLen;
    }

    boolean mergeable() {
        return has(features, VirtioNet.F_MRG_RXBUF);
    }

    /** The largest frame (without header) the guest accepts. */
    int maxRxFrame() {
        long f = features;
        boolean gso = has(f, VirtioNet.F_GUEST_TSO4) || has(f, VirtioNet.F_GUEST_TSO6);
        return gso ? VirtioNet.MAX_GSO_FRAME : VirtioNet.MAX_FRAME;
    }

    /** The largest frame (without header) the guest may send. */
    int maxTxFrame() {
        long f = features;
        boolean gso = has(f, VirtioNet.F_HOST_TSO4) || has(f, VirtioNet.F_HOST_TSO6);
        return gso ? VirtioNet.MAX_GSO_FRAME : VirtioNet.MAX_FRAME;
    }

    /** The control queue's ring index for the negotiated features, or -1 if there is none. */
    int ctrlIndex() {
        long f = features;
        if (pairs == 1 || !has(f, VirtioNet.F_CTRL_VQ)) return -1;
        return has(f, VirtioNet.F_MQ) ? 2 * pairs : 2;
    }

    /** How many pairs the driver may use: all with MQ (minus the control queue's choice), else one. */
    private int usablePairs() {
        if (!has(features, VirtioNet.F_MQ)) return 1;
        return requestedPairs > 0 ? requestedPairs : pairs;
    }

    @Override
    public void startQueue(Vring vring) {
        int i = vring.index();
        int c = ctrlIndex();
        boolean isCtrl = i == c;
        if (!isCtrl && (i < 0 || i >= 2 * usableRingPairs())) throw new IllegalArgumentException("no queue " + i);
        stopQueue(i);
        synchronized (this) {
            if (isCtrl) {
                ctrlRing = vring;
                // From now on the driver's VQ_PAIRS_SET decides: one pair until it sends one. A control
                // queue resumed past index 0 (a respawned vionet) was used by a driver whose choice
                // died with the old process: serve every pair it enabled rather than strand one.
                if (requestedPairs == 0 && vring.queue().nextAvail() == 0) requestedPairs = 1;
                ctrl = new VringWorker(name + "-ctrl", vring, v -> v.processAvailable(chain -> NetControl.serve(this, v, chain))).start();
                log.info("{}: control queue on ring {}", name, i);
            } else if (i % 2 == RX) {
                rxRings[i / 2] = vring;
            } else {
                txRings[i / 2] = vring;
            }
            reconcile();
        }
    }

    /** Pairs whose rings may exist for the negotiated features. */
    private int usableRingPairs() {
        return has(features, VirtioNet.F_MQ) ? pairs : 1;
    }

    @Override
    public void stopQueue(int index) {
        VringWorker c = null;
        synchronized (this) {
            if (index == ctrlIndex() && ctrlRing != null) {
                c = ctrl;
                ctrl = null;
                ctrlRing = null;
            } else if (index >= 0 && index < 2 * pairs) {
                int k = index / 2;
                if (index % 2 == RX) rxRings[k] = null;
                else txRings[k] = null;
                reconcile();
            }
        }
        if (c != null) c.stop(); // outside the lock: a command in progress takes it
    }

    /**
     * Makes the workers and tap queues match the rings and the pair count: pair 0's rings
     * are served whenever they run; a later pair only while active (both rings run and
     * the pair is below the driver's count).
     */
    private void reconcile() {
        int usable = usablePairs();
        for (int k = 0; k < pairs; k++) {
            boolean active = k == 0 || (k < usable && rxRings[k] != null && txRings[k] != null);
            boolean serveRx = active && rxRings[k] != null, serveTx = active && txRings[k] != null;
            if (rxWorkers[k] != null && (!serveRx || rxWorkers[k].vring() != rxRings[k])) {
                rxWorkers[k].stop();
                rxWorkers[k] = null;
            }
            if (txWorkers[k] != null && (!serveTx || txWorkers[k].vring() != txRings[k])) {
                txWorkers[k].stop();
                txWorkers[k] = null;
            }
            if (k > 0) attach(k, active);
            if (serveRx && rxWorkers[k] == null) {
                rxWorkers[k] = new RxWorker(this, rxRings[k], k, taps.get(k).fd(), k == 0 ? injectFd : -1).start();
            }
            if (serveTx && txWorkers[k] == null) {
                TxPath path = new TxPath(this, taps.get(k), k);
                txWorkers[k] = new VringWorker(name + "-tx" + (k == 0 ? "" : k), txRings[k], v -> v.processAvailable(path::transmit, TX_LINGER_NANOS))
                        .start();
            }
        }
        counters.mostPairsActive.accumulateAndGet(activePairs(), Math::max);
    }

    private void attach(int k, boolean on) {
        if (attached[k] == on) return;
        try {
            taps.get(k).setQueueAttached(on);
            attached[k] = on;
            log.info("{}: queue pair {} {}", name, k, on ? "active" : "inactive (tap queue detached)");
        } catch (RuntimeException e) {
            warn("tap queue {}: {}", k, e.getMessage());
        }
    }

    /** The driver's VQ_PAIRS_SET, from the control queue's thread; applied before it is acked. */
    synchronized void setRequestedPairs(Vring from, int n) {
        if (from != ctrlRing) return; // a command that raced a reset or a stop of its queue: stale
        if (n != requestedPairs) log.info("{}: the driver uses {} queue pair(s)", name, n);
        requestedPairs = n;
        reconcile();
    }

    /** Pairs in use now (for tests and logs). */
    synchronized int activePairs() {
        int n = 0;
        for (int k = 0; k < pairs; k++) if (rxWorkers[k] != null && txWorkers[k] != null) n++;
        return n;
    }

    @Override
    public void reset() {
        VringWorker c;
        synchronized (this) {
            c = ctrl;
            ctrl = null;
            ctrlRing = null;
            Arrays.fill(rxRings, null);
            Arrays.fill(txRings, null);
            requestedPairs = 0;
            reconcile();
        }
        if (c != null) c.stop();
        injected.clear();
        injectedCount.set(0);
        log.info("{}: reset; {}", name, counters);
    }

    public void close() {
        reset();
        local.close();
        Fds.closeQuietly(injectFd);
    }

    /** Queues a frame for the guest (a reply vionet makes itself); dropped if too many wait. */
    void inject(byte[] frame) {
        if (injectedCount.incrementAndGet() > MAX_INJECTED) {
            injectedCount.decrementAndGet();
            counters.rxNoBuffers.incrementAndGet();
            return;
        }
        injected.add(frame);
        Fds.eventfdSignal(injectFd);
    }

    byte[] pollInjected() {
        byte[] f = injected.poll();
        if (f != null) injectedCount.decrementAndGet();
        return f;
    }

    boolean tapVnetHdr() {
        return taps.get(0).vnetHdr();
    }

    LocalServices local() {
        return local;
    }

    MacFilter filter() {
        return filter;
    }

    void warn(String fmt, Object... args) {
        if (logBudget.getAndDecrement() > 0) log.warn(name + ": " + fmt, args);
    }
}

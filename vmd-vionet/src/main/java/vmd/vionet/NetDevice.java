package vmd.vionet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.vhostuser.Vring;
import vmd.vhostuser.VringWorker;
import vmd.vhostuser.VhostUserDevice;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtioFeatures;

/**
 * The virtio-net device on a tap: queue 0 receives (tap to guest, served by {@link RxWorker}),
 * queue 1 transmits (guest to tap, one {@link VringWorker}). Frames move straight between
 * the tap and guest buffers with readv/writev; the tap's vnet header carries checksum
 * offload and TSO in both directions. Only {@code locked lladdr} (frames for others must
 * not reach guest memory) and the frames vionet answers itself (DHCP on a local
 * interface) are copied.
 *
 * <p>Nothing a guest does can crash it: a malformed ring stops that ring and is reported
 * on its error eventfd; bad frames are dropped and counted in {@link #counters()}.
 */
public final class NetDevice implements VhostUserDevice {
    private static final int EINTR = 4, EAGAIN = 11;
    private static final Logger log = LoggerFactory.getLogger(NetDevice.class);
    static final int RX = 0, TX = 1;
    static final int QUEUE_SIZE = 1024;
    static final int MTU = 1500;
    /** How many DHCP replies may wait for receive buffers. */
    static final int MAX_INJECTED = 16;

    private final String name;
    private final TapFd tap;
    private final byte[] mac;
    private final MacFilter filter;
    private final DhcpResponder dhcp;
    private volatile RouterAdvertiser router; // local inet6, or null
    private final NetCounters counters = new NetCounters();
    final ConcurrentLinkedQueue<byte[]> injected = new ConcurrentLinkedQueue<>();
    private final AtomicInteger injectedCount = new AtomicInteger();
    private final int injectFd = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private volatile long features;
    private volatile int hdrLen = VirtioNet.HDR_LEN;
    private volatile boolean linkUp = true;
    private RxWorker rx;
    private VringWorker tx;
    private final AtomicInteger logBudget = new AtomicInteger(20);

    /**
     * @param dhcp the responder of a local interface, or null
     */
    public NetDevice(String name, TapFd tap, byte[] mac, boolean locked, DhcpResponder dhcp) {
        this.name = name;
        this.tap = tap;
        this.mac = mac.clone();
        this.filter = new MacFilter(mac, locked);
        this.dhcp = dhcp;
        Fds.setNonBlocking(tap.fd(), true);
    }

    /** Under {@code local inet6}: answer the guest's router solicitations. Set before the device serves. */
    public NetDevice router(RouterAdvertiser ra) {
        this.router = ra;
        return this;
    }

    public NetCounters counters() {
        return counters;
    }

    public String name() {
        return name;
    }

    @Override
    public long features() {
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC)
                | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX)
                | VirtioNet.bit(VirtioNet.F_MAC) | VirtioNet.bit(VirtioNet.F_STATUS) | VirtioNet.bit(VirtioNet.F_MRG_RXBUF)
                | VirtioNet.bit(VirtioNet.F_MTU);
        if (tap.vnetHdr()) {
            f |= VirtioNet.bit(VirtioNet.F_CSUM) | VirtioNet.bit(VirtioNet.F_GUEST_CSUM)
                    | VirtioNet.bit(VirtioNet.F_HOST_TSO4) | VirtioNet.bit(VirtioNet.F_HOST_TSO6) | VirtioNet.bit(VirtioNet.F_HOST_ECN)
                    | VirtioNet.bit(VirtioNet.F_GUEST_TSO4) | VirtioNet.bit(VirtioNet.F_GUEST_TSO6) | VirtioNet.bit(VirtioNet.F_GUEST_ECN);
        }
        return f;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public byte[] config() {
        return VirtioNet.config(mac, linkUp ? VirtioNet.S_LINK_UP : 0, 1, MTU);
    }

    @Override
    public synchronized void setFeatures(long acked) {
        long f = acked & ~VirtioFeatures.bit(VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES);
        features = f;
        hdrLen = VirtioNet.headerLength(f);
        if (tap.vnetHdr()) {
            tap.setVnetHeaderSize(hdrLen);
            int off = 0;
            if (has(f, VirtioNet.F_GUEST_CSUM)) {
                off |= TapFd.TUN_F_CSUM;
                if (has(f, VirtioNet.F_GUEST_TSO4)) off |= TapFd.TUN_F_TSO4;
                if (has(f, VirtioNet.F_GUEST_TSO6)) off |= TapFd.TUN_F_TSO6;
                if (has(f, VirtioNet.F_GUEST_ECN) && (off & (TapFd.TUN_F_TSO4 | TapFd.TUN_F_TSO6)) != 0) off |= TapFd.TUN_F_TSO_ECN;
            }
            tap.setOffload(off);
        }
        log.info("{}: features 0x{}, header {} bytes, tap {}", name, Long.toHexString(f), hdrLen, tap);
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

    @Override
    public synchronized void startQueue(Vring vring) {
        int i = vring.index();
        if (i != RX && i != TX) throw new IllegalArgumentException("no queue " + i);
        stopQueue(i);
        if (i == RX) {
            rx = new RxWorker(this, vring, tap.fd(), injectFd).start();
        } else {
            TxPath path = new TxPath();
            tx = new VringWorker(name + "-tx", vring, v -> v.processAvailable(path::transmit)).start();
        }
    }

    @Override
    public synchronized void stopQueue(int index) {
        if (index == RX && rx != null) {
            rx.stop();
            rx = null;
        } else if (index == TX && tx != null) {
            tx.stop();
            tx = null;
        }
    }

    @Override
    public synchronized void reset() {
        stopQueue(RX);
        stopQueue(TX);
        injected.clear();
        injectedCount.set(0);
        log.info("{}: reset; {}", name, counters);
    }

    public void close() {
        reset();
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
        return tap.vnetHdr();
    }

    MacFilter filter() {
        return filter;
    }

    void warn(String fmt, Object... args) {
        if (logBudget.getAndDecrement() > 0) log.warn(name + ": " + fmt, args);
    }

    /** The transmit path: one per TX ring thread. */
    final class TxPath {
        private final IoVecs iov = new IoVecs();
        private static final int PEEK = VirtioNet.HDR_LEN + VirtioNet.ETH_HLEN + 60 + 8;

        int transmit(DescriptorChain chain) {
            try {
                send(chain);
            } catch (RuntimeException e) {
                counters.txErrors.incrementAndGet();
                warn("transmit failed: {}", e.toString());
            }
            return 0;
        }

        private void send(DescriptorChain chain) {
            int h = hdrLen;
            long total = chain.readableLength();
            if (total < h + VirtioNet.ETH_HLEN || total - h > maxTxFrame()) {
                counters.txMalformed.incrementAndGet();
                warn("dropped a {}-byte transmit chain (header {}, at most {} bytes of frame)", total, h, maxTxFrame());
                return;
            }
            int frameLen = (int) (total - h);
            byte[] peek = chain.readReadable(PEEK);
            ByteBuffer pb = ByteBuffer.wrap(peek);
            if (tap.vnetHdr() || h == VirtioNet.HDR_LEN) {
                String bad = VirtioNet.checkTxHeader(peek, features);
                if (bad != null) {
                    counters.txMalformed.incrementAndGet();
                    warn("dropped a frame with a bad header: {}", bad);
                    return;
                }
            }
            if (!filter.allowOutgoing(pb, h, peek.length - h)) {
                counters.txFiltered.incrementAndGet();
                return;
            }
            if (dhcp != null && Frames.isUdpTo(pb, h, peek.length - h, DhcpResponder.SERVER_PORT)) {
                byte[] all = chain.readReadable((int) Math.min(total, h + 2048));
                byte[] frame = java.util.Arrays.copyOfRange(all, h, all.length);
                byte[] reply = dhcp.respond(frame, frame.length);
                if (reply != null) {
                    long n = counters.dhcpReplies.incrementAndGet();
                    int type = reply.length > 42 + 242 && reply[42 + 240] == DhcpResponder.OPT_MESSAGE_TYPE ? reply[42 + 242] & 0xff : 0;
                    if (type == DhcpResponder.ACK) counters.dhcpAcks.incrementAndGet();
                    if (n <= 20) {
                        DhcpResponder.Request r = dhcp.parse(frame, frame.length);
                        log.info("{}: dhcp: {} -> {} {}", name, dhcpName(r == null ? 0 : r.messageType()), dhcpName(type),
                                Frames.ipv4(dhcp.guestAddress()));
                    }
                    inject(reply);
                }
                return; // a local interface's DHCP is ours, never the host's
            }
            RouterAdvertiser ra = router;
            if (ra != null && RouterAdvertiser.isSolicitation(pb, h, peek.length - h)) {
                byte[] all = chain.readReadable((int) Math.min(total, h + 1024));
                byte[] reply = ra.respond(java.util.Arrays.copyOfRange(all, h, all.length), all.length - h);
                if (reply != null) {
                    if (counters.raReplies.incrementAndGet() <= 20) log.info("{}: ra: solicitation -> advertisement", name);
                    inject(reply);
                }
                return; // like DHCP, a local interface's router is vionet
            }
            iov.clear();
            int skip = tap.vnetHdr() ? 0 : h;
            for (DescriptorChain.Segment s : chain.readableSegments()) {
                int len = s.length();
                if (skip >= len) {
                    skip -= len;
                    continue;
                }
                if (!iov.add(s.buffer(), skip, len - skip)) {
                    counters.txMalformed.incrementAndGet();
                    warn("dropped a frame in more than {} pieces", IoVecs.MAX);
                    return;
                }
                skip = 0;
            }
            while (true) {
                long n = Native.libc().writev(tap.fd(), iov.address(), iov.count());
                if (n >= 0) {
                    counters.txFrames.incrementAndGet();
                    counters.txBytes.addAndGet(frameLen);
                    return;
                }
                int errno = Native.errno();
                if (errno == EINTR) continue;
                counters.txErrors.incrementAndGet();
                if (errno != EAGAIN) warn("tap write: errno {}", errno);
                return;
            }
        }
    }

    static String dhcpName(int type) {
        return switch (type) {
            case 0 -> "BOOTP";
            case DhcpResponder.DISCOVER -> "DISCOVER";
            case DhcpResponder.OFFER -> "OFFER";
            case DhcpResponder.REQUEST -> "REQUEST";
            case DhcpResponder.ACK -> "ACK";
            case DhcpResponder.NAK -> "NAK";
            case DhcpResponder.INFORM -> "INFORM";
            default -> "type " + type;
        };
    }

    static void putNumBuffers(DescriptorChain first, int n) {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) n);
        first.writeWritable(VirtioNet.HDR_NUM_BUFFERS, b);
    }
}

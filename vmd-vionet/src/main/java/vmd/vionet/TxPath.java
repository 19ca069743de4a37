package vmd.vionet;

import java.nio.ByteBuffer;
import vmd.sys.IoVecs;
import vmd.sys.Native;
import vmd.tap.TapFd;
import vmd.virtio.DescriptorChain;

/**
 * One transmit ring's path from guest to tap (one per TX ring thread): check the chain
 * and its virtio-net header, apply {@code locked lladdr}, let {@link LocalServices}
 * answer what is addressed to vionet itself, and write the rest to the pair's tap queue
 * with one writev straight from guest memory.
 */
final class TxPath {
    private static final int EINTR = 4, EAGAIN = 11;
    /** Enough of a frame to see its header, Ethernet, IP and UDP/ICMPv6 headers. */
    private static final int PEEK = VirtioNet.HDR_LEN + VirtioNet.ETH_HLEN + 60 + 8;

    private final NetDevice dev;
    private final TapFd tap;
    private final int pair;
    private final NetCounters counters;
    private final IoVecs iov = new IoVecs();
    private final ByteBuffer txHeader = ByteBuffer.allocateDirect(VirtioNet.HDR_LEN);

    TxPath(NetDevice dev, TapFd tap, int pair) {
        this.dev = dev;
        this.tap = tap;
        this.pair = pair;
        this.counters = dev.counters();
    }

    /** A chain processor for {@link vmd.vhostuser.Vring#processAvailable}: nothing is written back, so the used length is 0. */
    int transmit(DescriptorChain chain) {
        try {
            send(chain);
        } catch (RuntimeException e) {
            counters.txErrors.incrementAndGet();
            dev.warn("transmit failed: {}", e.toString());
        }
        return 0;
    }

    private void send(DescriptorChain chain) {
        int h = dev.headerLength();
        long total = chain.readableLength();
        if (total < h + VirtioNet.ETH_HLEN || total - h > dev.maxTxFrame()) {
            counters.txMalformed.incrementAndGet();
            dev.warn("dropped a {}-byte transmit chain (header {}, at most {} bytes of frame)", total, h, dev.maxTxFrame());
            return;
        }
        int frameLen = (int) (total - h);
        byte[] peek = chain.readReadable(PEEK);
        ByteBuffer pb = ByteBuffer.wrap(peek);
        if (tap.vnetHdr() || h == VirtioNet.HDR_LEN) {
            String bad = VirtioNet.checkTxHeader(peek, dev.negotiated());
            if (bad != null) {
                counters.txMalformed.incrementAndGet();
                dev.warn("dropped a frame with a bad header: {}", bad);
                return;
            }
        }
        if (!dev.filter().allowOutgoing(pb, h, peek.length - h)) {
            counters.txFiltered.incrementAndGet();
            return;
        }
        if (dev.local().answer(chain, pb, h, total)) return;
        iov.clear();
        if (tap.vnetHdr()) iov.add(checkedHeader(peek, h), 0, h);
        if (!gather(chain, h)) return;
        while (true) {
            long n = Native.libc().writev(tap.fd(), iov.address(), iov.count());
            if (n >= 0) {
                counters.txFrames.incrementAndGet();
                counters.pairTxFrames.incrementAndGet(pair);
                counters.txBytes.addAndGet(frameLen);
                return;
            }
            int errno = Native.errno();
            if (errno == EINTR) continue;
            counters.txErrors.incrementAndGet();
            if (errno != EAGAIN) dev.warn("tap write: errno {}", errno);
            return;
        }
    }

    /**
     * The header the tap gets: the copy that was checked, not the guest's buffer (which the
     * guest may change after the check), with the flags vionet does not know cleared.
     */
    private ByteBuffer checkedHeader(byte[] peek, int h) {
        txHeader.clear();
        txHeader.put(peek, 0, h);
        txHeader.put(VirtioNet.HDR_FLAGS, (byte) (peek[VirtioNet.HDR_FLAGS] & VirtioNet.KNOWN_TX_FLAGS));
        return txHeader;
    }

    /** Appends the chain's readable segments to the iovec, the first {@code skip} bytes left out; false if too fragmented. */
    private boolean gather(DescriptorChain chain, int skip) {
        java.util.List<DescriptorChain.Segment> segs = chain.readableSegments();
        for (int i = 0; i < segs.size(); i++) { // by index: no iterator per frame
            DescriptorChain.Segment s = segs.get(i);
            int len = s.length();
            if (skip >= len) {
                skip -= len;
                continue;
            }
            if (!iov.add(s.buffer(), skip, len - skip)) {
                counters.txMalformed.incrementAndGet();
                dev.warn("dropped a frame in more than {} pieces", IoVecs.MAX);
                return false;
            }
            skip = 0;
        }
        return true;
    }
}

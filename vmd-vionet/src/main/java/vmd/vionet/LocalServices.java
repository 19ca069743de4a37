package vmd.vionet;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.virtio.DescriptorChain;

/**
 * What a local interface's guest asks of vionet itself: its DHCP (to the server port) and,
 * under {@code local inet6}, IPv6 router solicitations. Such frames are answered here
 * (replies go to the guest through {@link NetDevice#inject}) and never reach the host.
 * Router advertisements also go out unsolicited every {@link #ADVERTISE_SECONDS}: a guest
 * solicits only when its interface comes up, and its default route would otherwise
 * expire with the advertised router lifetime.
 */
final class LocalServices {
    private static final Logger log = LoggerFactory.getLogger(LocalServices.class);
    /** Replies logged per device; later ones are only counted. */
    private static final int LOGGED = 20;

    private final NetDevice dev;
    private final DhcpResponder dhcp;
    /** RFC 4861's default MaxRtrAdvInterval; the router lifetime advertised is three times it. */
    static final long ADVERTISE_SECONDS = 600;

    private volatile RouterAdvertiser router;
    private ScheduledExecutorService advertising;

    LocalServices(NetDevice dev, DhcpResponder dhcp) {
        this.dev = dev;
        this.dhcp = dhcp;
    }

    void router(RouterAdvertiser ra) {
        router(ra, ADVERTISE_SECONDS, TimeUnit.SECONDS);
    }

    synchronized void router(RouterAdvertiser ra, long every, TimeUnit unit) {
        this.router = ra;
        if (advertising != null || ra == null) return;
        advertising = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, dev.name() + "-ra");
            t.setDaemon(true);
            return t;
        });
        advertising.scheduleAtFixedRate(this::advertise, every, every, unit);
    }

    private void advertise() {
        RouterAdvertiser ra = router;
        if (ra == null) return;
        dev.counters().raUnsolicited.incrementAndGet();
        dev.inject(ra.unsolicited());
    }

    synchronized void close() {
        if (advertising != null) advertising.shutdownNow();
        advertising = null;
    }

    /**
     * Answers the frame in {@code chain} (header {@code h} bytes, {@code total} in all;
     * {@code peek} its start) if it is for vionet; returns whether it was, answered or not.
     */
    boolean answer(DescriptorChain chain, ByteBuffer peek, int h, long total) {
        int seen = peek.capacity() - h;
        NetCounters c = dev.counters();
        if (dhcp != null && Frames.isUdpTo(peek, h, seen, DhcpResponder.SERVER_PORT)) {
            byte[] frame = payload(chain, h, total, 2048);
            byte[] reply = dhcp.respond(frame, frame.length);
            if (reply != null) {
                long n = c.dhcpReplies.incrementAndGet();
                int type = reply.length > 42 + 242 && reply[42 + 240] == DhcpResponder.OPT_MESSAGE_TYPE ? reply[42 + 242] & 0xff : 0;
                if (type == DhcpResponder.ACK) c.dhcpAcks.incrementAndGet();
                if (n <= LOGGED) {
                    DhcpResponder.Request r = dhcp.parse(frame, frame.length);
                    log.info("{}: dhcp: {} -> {} {}", dev.name(), dhcpName(r == null ? 0 : r.messageType()), dhcpName(type),
                            Frames.ipv4(dhcp.guestAddress()));
                }
                dev.inject(reply);
            }
            return true;
        }
        RouterAdvertiser ra = router;
        if (ra != null && RouterAdvertiser.isSolicitation(peek, h, seen)) {
            byte[] frame = payload(chain, h, total, 1024);
            byte[] reply = ra.respond(frame, frame.length);
            if (reply != null) {
                if (c.raReplies.incrementAndGet() <= LOGGED) log.info("{}: ra: solicitation -> advertisement", dev.name());
                dev.inject(reply);
            }
            return true;
        }
        return false;
    }

    /** The frame without its virtio-net header, at most {@code max} bytes of it. */
    private static byte[] payload(DescriptorChain chain, int h, long total, int max) {
        byte[] all = chain.readReadable((int) Math.min(total, h + max));
        return Arrays.copyOfRange(all, h, all.length);
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
}

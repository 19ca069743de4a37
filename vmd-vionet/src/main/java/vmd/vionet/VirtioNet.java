package vmd.vionet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** virtio-net (virtio 1.2 section 5.1): feature bits, the per-frame header, the config space. */
public final class VirtioNet {
    private VirtioNet() {}

    public static final int F_CSUM = 0, F_GUEST_CSUM = 1, F_MTU = 3, F_MAC = 5, F_GUEST_TSO4 = 7, F_GUEST_TSO6 = 8,
            F_GUEST_ECN = 9, F_GUEST_UFO = 10, F_HOST_TSO4 = 11, F_HOST_TSO6 = 12, F_HOST_ECN = 13, F_HOST_UFO = 14,
            F_MRG_RXBUF = 15, F_STATUS = 16, F_CTRL_VQ = 17, F_MQ = 22;

    /** The header with VERSION_1 or MRG_RXBUF (virtio_net_hdr_v1); 10 bytes otherwise. */
    public static final int HDR_LEN = 12, LEGACY_HDR_LEN = 10;
    /** Header fields. */
    public static final int HDR_FLAGS = 0, HDR_GSO_TYPE = 1, HDR_HDR_LEN = 2, HDR_GSO_SIZE = 4, HDR_CSUM_START = 6,
            HDR_CSUM_OFFSET = 8, HDR_NUM_BUFFERS = 10;
    public static final int HDR_F_NEEDS_CSUM = 1, HDR_F_DATA_VALID = 2;
    /** The transmit header flags vionet acts on; the tap gets the others cleared. */
    public static final int KNOWN_TX_FLAGS = HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID;
    public static final int GSO_NONE = 0, GSO_TCPV4 = 1, GSO_UDP = 3, GSO_TCPV6 = 4, GSO_ECN = 0x80;

    public static final int S_LINK_UP = 1;

    public static final int ETH_HLEN = 14;
    /** The largest frame with GSO (64 KiB of IP plus the Ethernet header), as QEMU and the tap bound it. */
    public static final int MAX_GSO_FRAME = 65536 + ETH_HLEN + 4;
    /** The largest frame without GSO at the default MTU, VLAN tag included. */
    public static final int MAX_FRAME = 1500 + ETH_HLEN + 4;

    public static long bit(int f) {
        return 1L << f;
    }

    /** virtio_net_config: mac[6], status, max_virtqueue_pairs, mtu (all little-endian). */
    public static byte[] config(byte[] mac, int status, int maxQueuePairs, int mtu) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.put(mac, 0, 6).putShort((short) status).putShort((short) maxQueuePairs).putShort((short) mtu);
        return b.array();
    }

    /** The header length for the negotiated features. */
    public static int headerLength(long features) {
        boolean v1 = (features & (1L << vmd.virtio.VirtioFeatures.VERSION_1)) != 0;
        return v1 || (features & bit(F_MRG_RXBUF)) != 0 ? HDR_LEN : LEGACY_HDR_LEN;
    }

    /**
     * Checks a guest's transmit header: known flags and GSO types only, and GSO only for
     * the offloads that were negotiated. Returns null if acceptable, else why not.
     */
    public static String checkTxHeader(byte[] hdr, long features) {
        int flags = hdr[HDR_FLAGS] & KNOWN_TX_FLAGS; // the device ignores flags it does not know (virtio 1.2 5.1.6.2.2)
        int gso = hdr[HDR_GSO_TYPE] & 0xff;
        if ((flags & HDR_F_NEEDS_CSUM) != 0 && (features & bit(F_CSUM)) == 0) return "NEEDS_CSUM without CSUM";
        int type = gso & ~GSO_ECN;
        if ((gso & GSO_ECN) != 0 && (features & bit(F_HOST_ECN)) == 0) return "GSO ECN without HOST_ECN";
        switch (type) {
            case GSO_NONE -> {
                if ((gso & GSO_ECN) != 0) return "ECN without a GSO type";
            }
            case GSO_TCPV4 -> {
                if ((features & bit(F_HOST_TSO4)) == 0) return "TSO4 without HOST_TSO4";
            }
            case GSO_TCPV6 -> {
                if ((features & bit(F_HOST_TSO6)) == 0) return "TSO6 without HOST_TSO6";
            }
            default -> {
                return "unsupported GSO type " + gso;
            }
        }
        if (type != GSO_NONE) {
            int gsoSize = (hdr[HDR_GSO_SIZE] & 0xff) | (hdr[HDR_GSO_SIZE + 1] & 0xff) << 8;
            if (gsoSize == 0) return "GSO with gso_size 0";
            if ((flags & HDR_F_NEEDS_CSUM) == 0) return "GSO without NEEDS_CSUM";
        }
        return null;
    }
}

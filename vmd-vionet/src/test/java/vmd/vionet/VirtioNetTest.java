package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import vmd.virtio.VirtioFeatures;

/** The virtio-net header rules the transmit path enforces, and the config space layout. */
class VirtioNetTest {
    static final long ALL = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioNet.bit(VirtioNet.F_CSUM)
            | VirtioNet.bit(VirtioNet.F_HOST_TSO4) | VirtioNet.bit(VirtioNet.F_HOST_TSO6) | VirtioNet.bit(VirtioNet.F_HOST_ECN);

    static byte[] hdr(int flags, int gso, int gsoSize) {
        byte[] h = new byte[12];
        h[0] = (byte) flags;
        h[1] = (byte) gso;
        h[4] = (byte) gsoSize;
        h[5] = (byte) (gsoSize >> 8);
        return h;
    }

    @Test
    void headers() {
        assertNull(VirtioNet.checkTxHeader(hdr(0, 0, 0), 0));
        assertNull(VirtioNet.checkTxHeader(hdr(1, 0, 0), ALL));
        assertNotNull(VirtioNet.checkTxHeader(hdr(1, 0, 0), 0), "NEEDS_CSUM without CSUM");
        assertNull(VirtioNet.checkTxHeader(hdr(1, VirtioNet.GSO_TCPV4, 1448), ALL));
        assertNull(VirtioNet.checkTxHeader(hdr(1, VirtioNet.GSO_TCPV6 | VirtioNet.GSO_ECN, 1428), ALL));
        assertNotNull(VirtioNet.checkTxHeader(hdr(1, VirtioNet.GSO_TCPV4, 1448), VirtioNet.bit(VirtioNet.F_CSUM)), "TSO not negotiated");
        assertNotNull(VirtioNet.checkTxHeader(hdr(1, VirtioNet.GSO_TCPV4, 0), ALL), "gso_size 0");
        assertNotNull(VirtioNet.checkTxHeader(hdr(1, VirtioNet.GSO_UDP, 1000), ALL), "UFO is not offered");
        assertNull(VirtioNet.checkTxHeader(hdr(0x80, 0, 0), ALL), "an unknown flag is ignored (virtio 1.2 5.1.6.2.2)");
        assertNotNull(VirtioNet.checkTxHeader(hdr(0x81, 0, 0), 0), "and the known ones still checked");
        assertNotNull(VirtioNet.checkTxHeader(hdr(0, VirtioNet.GSO_ECN, 0), ALL));
    }

    @Test
    void headerLengthAndConfig() {
        assertEquals(12, VirtioNet.headerLength(VirtioFeatures.bit(VirtioFeatures.VERSION_1)));
        assertEquals(12, VirtioNet.headerLength(VirtioNet.bit(VirtioNet.F_MRG_RXBUF)));
        assertEquals(10, VirtioNet.headerLength(0));
        byte[] c = VirtioNet.config(new byte[] {1, 2, 3, 4, 5, 6}, VirtioNet.S_LINK_UP, 1, 1500);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 1, 0, 1, 0, (byte) 0xdc, 5}, c);
    }
}

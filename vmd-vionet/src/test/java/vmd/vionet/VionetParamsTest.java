package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import vmd.imsg.PayloadReader;
import vmd.imsg.PayloadWriter;
import vmd.imsg.VionetParams;

class VionetParamsTest {
    @Test
    void roundTrips() {
        VionetParams p = new VionetParams("net1", "web", 0xfee1ba000102L, true, Frames.parseIpv4("192.168.1.2"),
                Frames.parseIpv4("192.168.1.3"), 0x020000000001L);
        PayloadWriter w = new PayloadWriter();
        p.encode(w);
        assertEquals(p, VionetParams.decode(new PayloadReader(w.toByteArray())));
        assertTrue(p.local());
        assertThrows(IllegalArgumentException.class, () -> new VionetParams("n", "v", 1L << 48, false, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new VionetParams("n", "v", 1, false, 1, 0, 0));
        assertEquals(1, p.queuePairs(), "the short form is one pair");
    }

    @Test
    void carriesQueuePairsAndLabelsEachTapQueue() {
        VionetParams p = new VionetParams("net0", "db", 0xfee1ba000102L, false, 0, 0, 0, 4, null);
        PayloadWriter w = new PayloadWriter();
        p.encode(w);
        VionetParams back = VionetParams.decode(new PayloadReader(w.toByteArray()));
        assertEquals(p, back);
        assertEquals(4, back.queuePairs());
        assertEquals(VionetParams.FD_TAP, VionetParams.tapLabel(0), "pair 0 keeps the single-queue label");
        assertEquals("tap3", VionetParams.tapLabel(3));
        assertThrows(IllegalArgumentException.class, () -> new VionetParams("n", "v", 1, false, 0, 0, 0, 0, null));
        assertThrows(IllegalArgumentException.class,
                () -> new VionetParams("n", "v", 1, false, 0, 0, 0, VionetParams.MAX_QUEUE_PAIRS + 1, null));
    }

    @Test
    void carriesTheIpv6HostAddress() throws Exception {
        java.net.Inet6Address a = (java.net.Inet6Address) java.net.InetAddress.getByName("fd00::6440:103:0:1");
        VionetParams p = new VionetParams("net0", "web", 0xfee1ba000102L, false, Frames.parseIpv4("100.64.1.2"),
                Frames.parseIpv4("100.64.1.3"), 0x020000000001L, 2, a);
        PayloadWriter w = new PayloadWriter();
        p.encode(w);
        VionetParams back = VionetParams.decode(new PayloadReader(w.toByteArray()));
        assertEquals(p, back);
        assertArrayEquals(a.getAddress(), back.localHost6().getAddress());
        assertThrows(IllegalArgumentException.class, () -> new VionetParams("n", "v", 1, false, 0, 0, 0, 1, a), "local only");
        PayloadWriter bad = new PayloadWriter().string("n").string("v").u64(1).bool(false).u32(2).u32(3).u64(0).u32(1).bytes(new byte[4]);
        assertThrows(IllegalArgumentException.class, () -> VionetParams.decode(new PayloadReader(bad.toByteArray())));
    }
}

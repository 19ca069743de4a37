package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.tap.TapFd;

/** Under local inet6 the guest's default route must not expire: vionet re-advertises on its own. */
class UnsolicitedAdvertisementTest {
    @Test
    void advertisesPeriodicallyWithoutASolicitationAndStopsWhenClosed() throws Exception {
        int[] sock = UnixSockets.pair(UnixSockets.SOCK_SEQPACKET);
        NetDevice dev = new NetDevice("test", TapFd.forTesting(sock[0], "fake0", true), RouterAdvertiserTest.MAC, false, null);
        try {
            RouterAdvertiser ra = new RouterAdvertiser(RouterAdvertiserTest.MAC, RouterAdvertiserTest.HOST_MAC,
                    RouterAdvertiserTest.HOST6, 1500);
            dev.local().router(ra, 20, TimeUnit.MILLISECONDS);
            byte[] f = null;
            for (int i = 0; i < 500 && f == null; i++) {
                f = dev.pollInjected();
                if (f == null) Thread.sleep(10);
            }
            assertNotNull(f, "an advertisement was queued for the guest");
            assertEquals(RouterAdvertiser.ADVERTISEMENT, f[RouterAdvertiser.ICMP] & 0xff);
            assertArrayEquals(RouterAdvertiser.ALL_NODES, java.util.Arrays.copyOfRange(f, RouterAdvertiser.IP6 + 24, RouterAdvertiser.IP6 + 40));
            assertTrue(dev.counters().raUnsolicited.get() >= 1);
            assertEquals(0, dev.counters().raReplies.get(), "nobody asked");
        } finally {
            dev.close();
            Fds.closeQuietly(sock[0]);
            Fds.closeQuietly(sock[1]);
        }
        long after = dev.counters().raUnsolicited.get();
        Thread.sleep(100);
        assertEquals(after, dev.counters().raUnsolicited.get(), "closing the device stops the timer");
    }
}

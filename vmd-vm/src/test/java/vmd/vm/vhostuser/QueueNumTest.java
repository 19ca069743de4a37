package vmd.vm.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import vmd.virtio.VirtioIds;

class QueueNumTest {
    static final long CTRL_VQ = 1L << QueueNum.NET_F_CTRL_VQ;

    @Test
    void netCountsPairsPlusTheControlQueue() {
        assertEquals(2, QueueNum.rings(VirtioIds.NET, 0, 1), "one pair, no control queue");
        assertEquals(5, QueueNum.rings(VirtioIds.NET, CTRL_VQ, 2), "two pairs and the control queue");
        assertEquals(9, QueueNum.rings(VirtioIds.NET, CTRL_VQ, 4));
        assertEquals(2 * 0x8000 + 1, QueueNum.rings(VirtioIds.NET, CTRL_VQ, 1L << 40), "bounded by VQ_PAIRS_MAX");
    }

    @Test
    void otherDevicesCountRings() {
        assertEquals(4, QueueNum.rings(VirtioIds.BLOCK, CTRL_VQ, 4));
        assertEquals(0, QueueNum.rings(VirtioIds.NET, CTRL_VQ, 0), "nothing stays nothing");
    }

    @Test
    void answersAboveTwoToThe63AreLargeNotNegative() {
        assertEquals(Long.MAX_VALUE, QueueNum.rings(VirtioIds.BLOCK, 0, -963));
        assertEquals(2 * 0x8000, QueueNum.rings(VirtioIds.NET, 0, -1L));
    }
}

package vmd.vm.vhostuser;

import vmd.virtio.VirtioIds;

/**
 * What a back-end's GET_QUEUE_NUM means in rings. For most device types it is the ring
 * count; for net it is the number of queue pairs (QEMU's net/vhost-user.c compares it
 * with {@code queues=}; DPDK and vionet answer pairs), and the device has 2 rings per pair
 * plus the control queue when the back-end offers VIRTIO_NET_F_CTRL_VQ. Our front-end is
 * device-agnostic: it hands the control queue to the back-end like any other ring
 * (vionet serves it; a back-end written for QEMU, which keeps the control queue to
 * itself, would refuse that ring).
 */
final class QueueNum {
    static final int NET_F_CTRL_VQ = 17;
    /** VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX. */
    static final long NET_MAX_PAIRS = 0x8000;

    private QueueNum() {}

    /** Rings for a GET_QUEUE_NUM answer of {@code queueNum} from a back-end offering {@code features}. */
    static long rings(int deviceType, long features, long queueNum) {
        // A u64 answer above 2^63 - 1 (negative here) is still "more than we use", not a negative count.
        if (queueNum < 0) queueNum = Long.MAX_VALUE;
        if (deviceType != VirtioIds.NET || queueNum < 1) return queueNum;
        long pairs = Math.min(queueNum, NET_MAX_PAIRS);
        return 2 * pairs + ((features & (1L << NET_F_CTRL_VQ)) != 0 ? 1 : 0);
    }
}

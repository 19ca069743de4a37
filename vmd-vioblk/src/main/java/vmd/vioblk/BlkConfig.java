package vmd.vioblk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * struct virtio_blk_config (virtio 1.2 section 5.2.4), as the device reports it through
 * vhost-user GET_CONFIG: capacity in 512-byte sectors, segment limit, block size, queue
 * count, and the discard / write-zeroes limits.
 */
final class BlkConfig {
    static final int SIZE = 60;
    static final int MAX_DISCARD_SECTORS = 1 << 22, MAX_WRITE_ZEROES_SECTORS = 1 << 22, MAX_DISCARD_SEGMENTS = 1;

    private BlkConfig() {}

    static byte[] encode(long capacityBytes, int segMax, int queues) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, capacityBytes / BlkRequest.SECTOR_SIZE);
        b.putInt(8, 0);                   // size_max: not offered
        b.putInt(12, segMax);             // seg_max
        b.putInt(20, BlkRequest.SECTOR_SIZE); // blk_size
        b.putShort(34, (short) queues);   // num_queues
        b.putInt(36, MAX_DISCARD_SECTORS);
        b.putInt(40, MAX_DISCARD_SEGMENTS);
        b.putInt(44, 1);                  // discard_sector_alignment
        b.putInt(48, MAX_WRITE_ZEROES_SECTORS);
        b.putInt(52, MAX_DISCARD_SEGMENTS);
        b.put(56, (byte) 1);              // write_zeroes_may_unmap
        return b.array();
    }
}

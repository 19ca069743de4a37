package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * VhostUserInflight (GET_/SET_INFLIGHT_FD): u64 mmap size, u64 mmap offset, u16 number
 * of queues, u16 queue size. QEMU sends the C struct with its tail padding (24 bytes);
 * 20 bytes are accepted as well.
 */
public record InflightDescription(long mmapSize, long mmapOffset, int numQueues, int queueSize) {
    public static final int SIZE = 24;

    public byte[] encode() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder()).putLong(mmapSize).putLong(mmapOffset)
                .putShort((short) numQueues).putShort((short) queueSize).array();
    }

    public static InflightDescription decode(VhostUserMessage m) {
        if (m.size() != SIZE && m.size() != 20) {
            throw new VhostUserProtocolException(m.name() + ": payload size " + m.size() + ", expected " + SIZE);
        }
        ByteBuffer b = m.payloadBuffer();
        return new InflightDescription(b.getLong(0), b.getLong(8), b.getShort(16) & 0xffff, b.getShort(18) & 0xffff);
    }
}

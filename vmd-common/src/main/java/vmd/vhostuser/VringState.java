package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** struct vhost_vring_state: u32 index, u32 num (SET_VRING_NUM/BASE/ENABLE, GET_VRING_BASE). */
public record VringState(int index, int num) {
    public static final int SIZE = 8;

    public byte[] encode() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder()).putInt(index).putInt(num).array();
    }

    public static VringState decode(VhostUserMessage m) {
        m.expectSize(SIZE);
        ByteBuffer b = m.payloadBuffer();
        return new VringState(b.getInt(0), b.getInt(4));
    }
}

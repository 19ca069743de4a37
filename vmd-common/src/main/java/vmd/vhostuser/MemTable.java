package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * SET_MEM_TABLE's payload: u32 number of regions, u32 padding, then that many
 * {@link MemRegion}s (at most {@link #MAX_REGIONS}); one descriptor per region travels
 * with the message, in the same order.
 */
public record MemTable(List<MemRegion> regions) {
    /** VHOST_MEMORY_BASELINE_NREGIONS. */
    public static final int MAX_REGIONS = 8;

    public MemTable {
        regions = List.copyOf(regions);
    }

    public byte[] encode() {
        if (regions.size() > MAX_REGIONS) throw new IllegalArgumentException(regions.size() + " memory regions, at most " + MAX_REGIONS);
        ByteBuffer b = ByteBuffer.allocate(8 + MemRegion.SIZE * regions.size()).order(ByteOrder.nativeOrder());
        b.putInt(regions.size()).putInt(0);
        for (MemRegion r : regions) r.encode(b);
        return b.array();
    }

    /** Decodes and checks the count against {@link #MAX_REGIONS} and the payload size. */
    public static MemTable decode(VhostUserMessage m) {
        if (m.size() < 8) throw new VhostUserProtocolException(m.name() + ": payload size " + m.size() + ", expected at least 8");
        ByteBuffer b = m.payloadBuffer();
        long n = b.getInt(0) & 0xffffffffL;
        if (n > MAX_REGIONS) throw new VhostUserProtocolException(m.name() + ": " + n + " regions, at most " + MAX_REGIONS);
        m.expectSize(8 + MemRegion.SIZE * (int) n);
        List<MemRegion> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(MemRegion.decode(b, 8 + MemRegion.SIZE * i));
        return new MemTable(out);
    }

    /** ADD_MEM_REG / REM_MEM_REG: u64 padding then one region. */
    public static byte[] encodeSingle(MemRegion r) {
        ByteBuffer b = ByteBuffer.allocate(8 + MemRegion.SIZE).order(ByteOrder.nativeOrder()).putLong(0);
        r.encode(b);
        return b.array();
    }

    public static MemRegion decodeSingle(VhostUserMessage m) {
        m.expectSize(8 + MemRegion.SIZE);
        return MemRegion.decode(m.payloadBuffer(), 8);
    }
}

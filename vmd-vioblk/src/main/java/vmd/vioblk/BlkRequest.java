package vmd.vioblk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueueException;

/**
 * One virtio-blk request as the guest laid it out (virtio 1.2 section 5.2.6): a 16-byte
 * header (type, reserved, sector) at the start of the device-readable part, the data
 * (readable for writes, writable for reads), and the status byte as the last writable
 * byte. The buffers are views of guest memory: nothing is copied.
 */
final class BlkRequest {
    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13;
    static final byte S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final int HEADER_SIZE = 16;
    static final int SECTOR_SIZE = 512;

    final int type;
    final long sector;
    /** Readable data after the header (OUT, DISCARD, WRITE_ZEROES payloads). */
    final List<ByteBuffer> readableData;
    /** Writable data before the status byte (IN, GET_ID). */
    final List<ByteBuffer> writableData;
    private final ByteBuffer status;
    final long writableDataLength;

    private BlkRequest(int type, long sector, List<ByteBuffer> readableData, List<ByteBuffer> writableData,
                       long writableDataLength, ByteBuffer status) {
        this.type = type;
        this.sector = sector;
        this.readableData = readableData;
        this.writableData = writableData;
        this.writableDataLength = writableDataLength;
        this.status = status;
    }

    /**
     * Splits a chain. One without a header or a byte for the status is a broken ring, not
     * a failed request: there is nowhere to report a status.
     */
    static BlkRequest parse(DescriptorChain chain) throws VirtQueueException {
        if (chain.readableLength() < HEADER_SIZE || chain.writableLength() < 1) {
            throw new VirtQueueException("virtio-blk request without a header or a status byte");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        List<ByteBuffer> readable = new ArrayList<>();
        for (ByteBuffer b : chain.readable()) {
            ByteBuffer v = b.duplicate();
            while (header.hasRemaining() && v.hasRemaining()) header.put(v.get());
            if (v.hasRemaining()) readable.add(v.slice().order(ByteOrder.LITTLE_ENDIAN));
        }
        List<ByteBuffer> writable = new ArrayList<>();
        List<ByteBuffer> segments = chain.writable();
        long dataLength = chain.writableLength() - 1;
        for (int i = 0; i < segments.size(); i++) {
            ByteBuffer b = segments.get(i);
            boolean last = i == segments.size() - 1;
            int len = last ? b.capacity() - 1 : b.capacity();
            if (len > 0) writable.add(b.slice(0, len));
        }
        ByteBuffer lastSegment = segments.get(segments.size() - 1);
        ByteBuffer status = lastSegment.slice(lastSegment.capacity() - 1, 1);
        return new BlkRequest(header.getInt(0), header.getLong(8), readable, writable, dataLength, status);
    }

    void setStatus(byte value) {
        status.put(0, value);
    }

    long readableDataLength() {
        long n = 0;
        for (ByteBuffer b : readableData) n += b.remaining();
        return n;
    }
}

package vmd.vioblk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.vhostuser.TestRing;
import vmd.disk.ImageFile;
import vmd.disk.RawDisk;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;

/** virtio-blk requests laid out in guest memory as a driver would, served by the device onto a real file. */
class BlockDeviceTest {
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, HDR = 0x4000, DATA = 0x10000, STATUS = 0x5000;
    static final int QSIZE = 16;
    static final long DISK_SIZE = 1 << 20;

    @TempDir
    Path tmp;
    GuestMemory mem;
    TestRing ring;
    VirtQueue queue;
    BlockDevice dev;
    Path image;

    @BeforeEach
    void setUp() throws Exception {
        mem = GuestMemory.create("blk-test", List.of(new MemoryRegion(0, 1 << 20, 0)));
        ring = new TestRing(mem, QSIZE, DESC, AVAIL, USED);
        queue = new VirtQueue(mem, QSIZE, DESC, AVAIL, USED, 0);
        image = tmp.resolve("disk.raw");
        Files.write(image, new byte[(int) DISK_SIZE]);
        open(false);
    }

    void open(boolean readOnly) throws Exception {
        dev = new BlockDevice("test", RawDisk.open(ImageFile.open(image, !readOnly), readOnly), 1, "serial-0123456789abcdefXYZ");
    }

    @AfterEach
    void tearDown() throws Exception {
        dev.close();
    }

    /** Puts a header + data + status chain in the ring and serves it; returns the status byte. */
    int request(int type, long sector, int dataLen, boolean dataWritable) throws Exception {
        mem.putInt(HDR, type);
        mem.putInt(HDR + 4, 0);
        mem.putLong(HDR + 8, sector);
        mem.putByte(STATUS, (byte) 0x7f);
        int d = 0;
        ring.desc(d, HDR, 16, VirtQueue.DESC_F_NEXT, d + 1);
        d++;
        if (dataLen > 0) {
            ring.desc(d, DATA, dataLen, VirtQueue.DESC_F_NEXT | (dataWritable ? VirtQueue.DESC_F_WRITE : 0), d + 1);
            d++;
        }
        ring.desc(d, STATUS, 1, VirtQueue.DESC_F_WRITE, 0);
        ring.publish(0);
        DescriptorChain chain = queue.pop();
        int len = dev.handle(chain);
        queue.pushUsed(chain, len);
        return mem.getByte(STATUS);
    }

    @Test
    void writeThenReadGoesThroughTheFile() throws Exception {
        byte[] data = new byte[4096];
        new Random(1).nextBytes(data);
        mem.write(DATA, data);
        assertEquals(BlkRequest.S_OK, request(BlkRequest.T_OUT, 8, 4096, false));
        assertEquals(BlkRequest.S_OK, request(BlkRequest.T_FLUSH, 0, 0, false));
        byte[] onDisk = new byte[4096];
        System.arraycopy(Files.readAllBytes(image), 8 * 512, onDisk, 0, 4096);
        assertArrayEquals(data, onDisk, "the write reached the file at sector 8");
        mem.write(DATA, new byte[4096]);
        assertEquals(BlkRequest.S_OK, request(BlkRequest.T_IN, 8, 4096, true));
        assertArrayEquals(data, mem.read(DATA, 4096));
        assertEquals(4097, ring.usedLen(ring.usedIdx() - 1), "data plus the status byte written");
    }

    @Test
    void getIdReturnsTheFirstTwentyBytesOfTheSerial() throws Exception {
        assertEquals(BlkRequest.S_OK, request(BlkRequest.T_GET_ID, 0, 20, true));
        assertEquals("serial-0123456789abc", new String(mem.read(DATA, 20)));
    }

    @Test
    void errorsGetStatusesNotCrashes() throws Exception {
        assertEquals(BlkRequest.S_IOERR, request(BlkRequest.T_IN, DISK_SIZE / 512, 512, true), "past the end");
        assertEquals(BlkRequest.S_IOERR, request(BlkRequest.T_IN, Long.MAX_VALUE / 256, 512, true), "absurd sector");
        assertEquals(BlkRequest.S_IOERR, request(BlkRequest.T_OUT, 0, 100, false), "not whole sectors");
        assertEquals(BlkRequest.S_UNSUPP, request(99, 0, 0, false), "unknown type");
        dev.close();
        open(true);
        assertEquals(BlkRequest.S_IOERR, request(BlkRequest.T_OUT, 0, 512, false), "write to a read-only disk");
        assertTrue((dev.features() & (1L << BlockDevice.F_RO)) != 0);
    }

    @Test
    void aChainWithoutAStatusByteIsARingError() throws Exception {
        mem.putInt(HDR, BlkRequest.T_IN);
        ring.desc(0, HDR, 16, VirtQueue.DESC_F_NEXT, 1);
        ring.desc(1, DATA, 512, 0, 0); // status would have to be device-writable
        ring.publish(0);
        DescriptorChain chain = queue.pop();
        assertThrows(VirtQueueException.class, () -> dev.handle(chain));
    }

    /** Random requests (fixed seed): every one gets a status or a VirtQueueException; the disk stays its size. */
    @Test
    void fuzzedRequestsNeverEscape() throws Exception {
        Random r = new Random(0xB10C);
        for (int i = 0; i < 2000; i++) {
            int type = r.nextInt(16);
            long sector = r.nextBoolean() ? r.nextInt(4096) : r.nextLong();
            int len = r.nextInt(8) * 512 + (r.nextInt(4) == 0 ? r.nextInt(512) : 0);
            mem.write(DATA, new byte[Math.min(len, 4096)]);
            try {
                int status = request(type, sector, Math.min(len, 0x8000), r.nextBoolean());
                assertTrue(status == BlkRequest.S_OK || status == BlkRequest.S_IOERR || status == BlkRequest.S_UNSUPP,
                        "status " + status);
            } catch (VirtQueueException expected) {
                // a ring error: the transport marks the device as needing reset
            }
        }
        assertEquals(DISK_SIZE, Files.size(image));
    }
}

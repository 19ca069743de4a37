package vmd.vioblk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.StatsSample;
import vmd.vhostuser.Vring;
import vmd.vhostuser.VringWorker;
import vmd.vhostuser.VhostUserDevice;
import vmd.disk.Disk;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtQueueException;
import vmd.virtio.VirtioFeatures;

/**
 * The virtio-blk device: serves each queue on its own thread ({@link RequestQueue}, large
 * requests on shared I/O threads), turning requests into {@link Disk} calls straight on
 * guest memory. A request the disk refuses gets an error
 * status; a malformed ring is the transport's business (it marks the device as needing
 * reset); nothing a guest sends can crash the process or reach outside guest RAM.
 */
public final class BlockDevice implements VhostUserDevice {
    private static final Logger log = LoggerFactory.getLogger(BlockDevice.class);

    static final int F_SEG_MAX = 2, F_RO = 5, F_BLK_SIZE = 6, F_FLUSH = 9, F_MQ = 12, F_DISCARD = 13, F_WRITE_ZEROES = 14;
    static final int QUEUE_SIZE = 256;
    /** Serial numbers are at most 20 bytes (VIRTIO_BLK_ID_BYTES). */
    static final int ID_BYTES = 20;

    private final String name;
    private final ImageHandover image;
    private final int queues;
    private final byte[] serial;
    private final VringWorker[] workers;
    private final RequestQueue[] requestQueues;
    private final AtomicLong errors = new AtomicLong();
    private final BlkStats stats = new BlkStats();
    /** Threads for large reads and writes, shared by the queues; null where one CPU makes them pointless. */
    private final ExecutorService reads, writes;

    public BlockDevice(String name, Disk disk, int queues, String serial) {
        this(name, disk, null, queues, serial);
    }

    /**
     * With a {@code reopener}, the image's metadata is read anew whenever the rings start
     * after all had stopped ({@link ImageHandover}): what a live migration's destination needs.
     */
    public BlockDevice(String name, Disk disk, ImageHandover.Reopener reopener, int queues, String serial) {
        this.name = name;
        this.image = new ImageHandover(name, disk, reopener);
        this.queues = queues;
        this.serial = serial.getBytes(StandardCharsets.US_ASCII);
        this.workers = new VringWorker[queues];
        this.requestQueues = new RequestQueue[queues];
        int cpus = Runtime.getRuntime().availableProcessors();
        this.reads = cpus < 2 ? null : threads(name + "-rd", cpus);
        this.writes = cpus < 2 ? null : threads(name + "-wr", WRITE_THREADS);
    }

    /*
     * Measured with bench/run.sh (1 MiB requests at QD4 on the page cache, 2 CPUs): reads
     * as many at once as there are CPUs (a read is a copy, and a thread more than the CPUs
     * only takes them from the driver: 1.2x qemu-storage-daemon with 2 threads, 1.05x with
     * 4); buffered writes 4 at once (ext4 serializes most of a write on the inode lock, but
     * dirty-page throttling sleeps overlap: 0.90x inline, 0.93x with 2, 1.04x with 4).
     */
    static final int WRITE_THREADS = 4;

    private static ExecutorService threads(String name, int n) {
        return Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** What this disk's requests did, for metrics: the samples a scrape gets. */
    public List<StatsSample> stats() {
        return stats.samples();
    }

    @Override
    public long features() {
        long f = bit(VirtioFeatures.VERSION_1) | bit(VirtioFeatures.RING_INDIRECT_DESC) | bit(VirtioFeatures.RING_EVENT_IDX)
                | bit(F_SEG_MAX) | bit(F_BLK_SIZE) | bit(F_FLUSH) | bit(F_MQ);
        if (disk().readOnly()) f |= bit(F_RO);
        else if (disk().supportsDiscard()) f |= bit(F_DISCARD) | bit(F_WRITE_ZEROES);
        else f |= bit(F_WRITE_ZEROES);
        return f;
    }

    private static long bit(int n) {
        return 1L << n;
    }

    @Override
    public int queueCount() {
        return queues;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public byte[] config() {
        return BlkConfig.encode(disk().size(), QUEUE_SIZE - 2, queues);
    }

    @Override
    public synchronized void startQueue(Vring vring) {
        stopQueue(vring.index());
        if (idle()) image.acquired();
        RequestQueue q = new RequestQueue(name, vring, this::execute, reads, writes);
        requestQueues[vring.index()] = q;
        workers[vring.index()] = new VringWorker(name, vring, q::serve).start();
    }

    @Override
    public synchronized void stopQueue(int index) {
        if (index < 0 || index >= workers.length || workers[index] == null) return;
        workers[index].stop();
        requestQueues[index].awaitIdle();
        workers[index] = null;
        requestQueues[index] = null;
        if (idle()) image.released();
    }

    private boolean idle() {
        for (VringWorker w : workers) if (w != null) return false;
        return true;
    }

    private Disk disk() {
        return image.disk();
    }

    @Override
    public synchronized void reset() {
        for (int i = 0; i < workers.length; i++) stopQueue(i);
    }

    /** Serves one chain; returns how many bytes it wrote into the guest's buffers. */
    int handle(DescriptorChain chain) throws VirtQueueException {
        return execute(BlkRequest.parse(chain));
    }

    /** Serves a parsed request, on a ring's thread or an I/O thread; returns the used length. */
    int execute(BlkRequest req) {
        long start = System.nanoTime();
        Disk disk = disk(); // one image for the whole request, even across a handover
        long written = 0; // into the guest's buffers
        long toDisk = 0;
        byte status;
        try {
            switch (req.type) {
                case BlkRequest.T_IN -> {
                    disk.read(offset(disk, req, req.writableDataLength), req.writableData);
                    written = req.writableDataLength;
                    status = BlkRequest.S_OK;
                }
                case BlkRequest.T_OUT -> {
                    if (disk.readOnly()) {
                        status = BlkRequest.S_IOERR;
                        break;
                    }
                    long length = req.readableDataLength();
                    disk.write(offset(disk, req, length), req.readableData);
                    toDisk = length;
                    status = BlkRequest.S_OK;
                }
                case BlkRequest.T_FLUSH -> {
                    if (!disk.readOnly()) disk.flush();
                    status = BlkRequest.S_OK;
                }
                case BlkRequest.T_GET_ID -> {
                    written = getId(req);
                    status = BlkRequest.S_OK;
                }
                case BlkRequest.T_DISCARD, BlkRequest.T_WRITE_ZEROES -> status = ranges(disk, req);
                default -> status = BlkRequest.S_UNSUPP;
            }
        } catch (IOException | IllegalArgumentException e) {
            if (errors.incrementAndGet() <= 10) log.warn("{}: request type {} sector {} failed: {}", name, req.type, req.sector, e.getMessage());
            status = BlkRequest.S_IOERR;
            written = 0;
        }
        req.setStatus(status);
        stats.record(req.type, System.nanoTime() - start, status, req.type == BlkRequest.T_IN ? written : 0, toDisk);
        return (int) Math.min(Integer.MAX_VALUE, written + 1);
    }

    /** Byte offset of a request of {@code length} bytes, checked against the disk. */
    private long offset(Disk disk, BlkRequest req, long length) throws IOException {
        if (length % BlkRequest.SECTOR_SIZE != 0) throw new IOException("length " + length + " is not whole sectors");
        if (req.sector < 0 || req.sector > (disk.size() >>> 9)) throw new IOException("sector " + req.sector + " beyond the disk");
        long offset = req.sector * BlkRequest.SECTOR_SIZE;
        Disk.checkRange(name, disk.size(), offset, length);
        return offset;
    }

    private long getId(BlkRequest req) {
        long written = 0;
        int from = 0;
        for (ByteBuffer b : req.writableData) {
            int n = Math.min(b.remaining(), ID_BYTES - from);
            for (int i = 0; i < n; i++) b.put(i, from + i < serial.length ? serial[from + i] : 0);
            from += n;
            written += n;
            if (from >= ID_BYTES) break;
        }
        return written;
    }

    /** DISCARD and WRITE_ZEROES: a list of {u64 sector, u32 sectors, u32 flags} segments. */
    private byte ranges(Disk disk, BlkRequest req) throws IOException {
        if (disk.readOnly()) return BlkRequest.S_IOERR;
        boolean discard = req.type == BlkRequest.T_DISCARD;
        if (discard && !disk.supportsDiscard()) return BlkRequest.S_UNSUPP;
        byte[] payload = new byte[(int) Math.min(req.readableDataLength(), 16 * 256)];
        int at = 0;
        for (ByteBuffer b : req.readableData) {
            int n = Math.min(b.remaining(), payload.length - at);
            b.duplicate().get(payload, at, n);
            at += n;
        }
        if (at == 0 || at % 16 != 0) return BlkRequest.S_UNSUPP;
        ByteBuffer p = ByteBuffer.wrap(payload, 0, at).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (p.remaining() >= 16) {
            long sector = p.getLong();
            long sectors = p.getInt() & 0xffffffffL;
            int flags = p.getInt();
            long max = discard ? BlkConfig.MAX_DISCARD_SECTORS : BlkConfig.MAX_WRITE_ZEROES_SECTORS;
            if (sectors > max || (flags & ~1) != 0) return BlkRequest.S_UNSUPP;
            long offset = sector * BlkRequest.SECTOR_SIZE;
            long length = sectors * BlkRequest.SECTOR_SIZE;
            Disk.checkRange(name, disk.size(), offset, length);
            if (discard) disk.discard(offset, length);
            else disk.writeZeroes(offset, length, (flags & 1) != 0);
        }
        return BlkRequest.S_OK;
    }

    public void close() throws IOException {
        reset();
        if (reads != null) reads.shutdown();
        if (writes != null) writes.shutdown();
        disk().close();
    }
}

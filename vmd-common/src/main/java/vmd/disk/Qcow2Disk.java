package vmd.disk;

import static vmd.disk.Qcow2Tables.COMPRESSED;
import static vmd.disk.Qcow2Tables.COPIED;
import static vmd.disk.Qcow2Tables.OFFSET_MASK;
import static vmd.disk.Qcow2Tables.ZERO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A qcow2 image (v2 or v3) as a {@link Disk}: reads through L1/L2 to data clusters, the
 * backing disk, zero clusters or zlib-compressed clusters; writes in place into clusters this
 * image owns alone, and otherwise allocates (copy-on-write from the backing file, a compressed
 * cluster or a snapshot-shared cluster).
 *
 * <p>Data goes straight between the caller's buffer and the file at the host offset; only
 * copy-on-write fill, zero fill and compressed clusters use intermediate buffers.
 *
 * <p>Concurrency: one metadata lock. Lookups hold it only while mapping; reads and in-place
 * writes to allocated clusters run without it. Allocating writes hold it while they write
 * their new clusters, so that no other request sees the L2 entry before the data exists.
 *
 * <p>Crash safety (the order QEMU keeps): data and refcount increments are durable before an
 * L2 table that points at them is written; an L2 table is durable before the L1 entry that
 * points at it; references are dropped before refcounts are decremented, and freed clusters are
 * not reused in the same session. After a crash at any point {@code qemu-img check -r all}
 * finds at worst leaked clusters, and everything written before the last {@link #flush} reads
 * back. The dirty bit is never used (lazy refcounts off); an image that has it set is opened
 * read-only only, since its refcounts cannot be trusted for allocation.
 */
public final class Qcow2Disk implements Disk {
    /**
     * The L2 cache covers the whole image by default (QEMU's l2-cache-size idea), up to
     * this much per layer: 16 MiB of tables maps 128 GiB of 64 KiB clusters (QEMU caps at 32
     * MiB; a vioblk heap is 96 MiB and each backing layer has its own). Tables are read in as
     * used, so a small or sparse image costs no more than it touches.
     */
    public static final int MAX_L2_CACHE_BYTES = 16 << 20;
    /** Asks {@link #open(ImageFile, Disk, boolean, int)} for a cache sized to the image. */
    public static final int L2_CACHE_FOR_IMAGE = -1;
    public static final int DEFAULT_REFCOUNT_CACHE_BYTES = 1 << 20;
    private static final int MAX_ALLOC_RUN_BYTES = 32 << 20;

    private final ImageFile file;
    private final String name;
    private final Qcow2Header header;
    private final Disk backing;
    private final boolean readOnly;
    private final int clusterBits, clusterSize;
    private final boolean v3;
    private final Qcow2Refcounts refcounts;
    private final Qcow2Tables tables;
    private final Qcow2Compressed compressed;
    private final ReentrantLock lock = new ReentrantLock();
    private final boolean canPunch;
    private volatile boolean closed;

    // The last decompressed cluster (sequential reads of a compressed image hit it 16 times).
    private final Object inflatedLock = new Object();
    private long inflatedEntry = -1;
    private byte[] inflated;

    private Qcow2Disk(ImageFile file, Qcow2Header h, Disk backing, boolean readOnly, int l2CacheBytes) throws IOException {
        this.file = file;
        this.name = file.name();
        this.header = h;
        this.backing = backing;
        this.readOnly = readOnly;
        this.clusterBits = h.clusterBits;
        this.clusterSize = h.clusterSize();
        this.v3 = h.version >= 3;
        this.refcounts = new Qcow2Refcounts(file, h, Math.max(4, DEFAULT_REFCOUNT_CACHE_BYTES / clusterSize));
        this.tables = new Qcow2Tables(file, h, refcounts, Math.max(4, l2CacheBytes / clusterSize));
        this.compressed = new Qcow2Compressed(name, clusterBits);
        this.canPunch = file instanceof FdImageFile;
    }

    /** Opens with the default cache sizes. */
    public static Qcow2Disk open(ImageFile file, Disk backing, boolean readOnly) throws IOException {
        return open(file, backing, readOnly, L2_CACHE_FOR_IMAGE);
    }

    /**
     * Opens {@code file}. {@code backing} must be given exactly when the header names a backing
     * file (the caller resolved and opened it, see {@link Qcow2Chain}); it is closed with this
     * disk. The L2 cache holds {@code l2CacheBytes / cluster size} tables (at least 4);
     * {@link #L2_CACHE_FOR_IMAGE} sizes it to map the whole image, at most {@link #MAX_L2_CACHE_BYTES}.
     */
    public static Qcow2Disk open(ImageFile file, Disk backing, boolean readOnly, int l2CacheBytes) throws IOException {
        String name = file.name();
        Qcow2Header h = Qcow2Header.read(file);
        if (h.backingFile != null && backing == null)
            throw new DiskFormatException(name, "has backing file " + h.backingFile + " but no backing disk was given");
        if (h.backingFile == null && backing != null)
            throw new DiskFormatException(name, "has no backing file but a backing disk was given");
        if (!readOnly) {
            if (!file.writable()) throw new DiskFormatException(name, "opened read-only but a writable disk was requested");
            if (h.corrupt())
                throw new DiskFormatException(name, "image is marked corrupt (incompatible feature bit 1): refusing to write; "
                        + "repair it with qemu-img check -r all or use it read-only");
            if (h.dirty())
                throw new DiskFormatException(name, "dirty bit set (incompatible feature bit 0), refcounts may be stale: "
                        + "repair it with qemu-img check -r all or use it read-only");
        }
        if (l2CacheBytes == L2_CACHE_FOR_IMAGE) l2CacheBytes = l2CacheBytesFor(h.size, h.clusterBits);
        Qcow2Disk d = new Qcow2Disk(file, h, backing, readOnly, l2CacheBytes);
        if (!readOnly && h.autoclearFeatures != 0) {
            // We maintain neither bitmaps nor raw external data: clear the bits before writing.
            file.writeFully(ByteBuffer.allocate(8), Qcow2Header.OFF_AUTOCLEAR);
            file.sync();
        }
        return d;
    }

    /** The L2 table bytes that map {@code size} bytes of guest disk in clusters of {@code 1 << clusterBits}, capped. */
    static int l2CacheBytesFor(long size, int clusterBits) {
        long clusters = (size + (1L << clusterBits) - 1) >>> clusterBits;
        long entriesPerTable = 1L << (clusterBits - 3);
        long tables = (clusters + entriesPerTable - 1) / entriesPerTable;
        return (int) Math.min(MAX_L2_CACHE_BYTES, Math.max(4, tables) << clusterBits);
    }

    /** How many L2 tables the cache holds (for tests and diagnostics). */
    int l2CacheTables() {
        return tables.cacheTables();
    }

    public Qcow2Header header() {
        return header;
    }

    public Disk backing() {
        return backing;
    }

    @Override
    public long size() {
        return header.size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void checkWritable() throws IOException {
        if (readOnly) throw new IOException(name + ": read-only disk");
        if (closed) throw new IOException(name + ": closed");
    }

    // ---- mapping ----

    private enum Kind { UNALLOCATED, ZERO, NORMAL, COMPRESSED }

    private Kind kind(long entry) {
        if ((entry & COMPRESSED) != 0) return Kind.COMPRESSED;
        if (v3 && (entry & ZERO) != 0) return Kind.ZERO;
        if ((entry & OFFSET_MASK) == 0) return Kind.UNALLOCATED;
        return Kind.NORMAL;
    }

    /** Validates a normal entry's host offset; returns it. */
    private long host(long gc, long entry) throws IOException {
        long off = entry & OFFSET_MASK;
        if ((off & (clusterSize - 1)) != 0)
            throw new DiskFormatException(name, "L2 entry for guest offset " + Qcow2Header.hex(gc << clusterBits)
                    + " has misaligned host offset " + Qcow2Header.hex(off));
        if (off >= tables.fileLimit())
            throw new DiskFormatException(name, "cluster for guest offset " + Qcow2Header.hex(gc << clusterBits)
                    + " at host offset " + Qcow2Header.hex(off) + " beyond end of file");
        return off;
    }

    private boolean inPlace(long gc, long entry) throws IOException {
        if (kind(entry) != Kind.NORMAL || (entry & COPIED) == 0) return false;
        long off = host(gc, entry);
        if (tables.isMetadata(off))
            throw new DiskFormatException(name, "L2 entry for guest offset " + Qcow2Header.hex(gc << clusterBits)
                    + " points at metadata cluster " + Qcow2Header.hex(off));
        return true;
    }

    /** A run of guest bytes with one kind of mapping. */
    private record Extent(Kind kind, long entry, long host, int length) { }

    /** How a cluster reads: unallocated clusters without a backing disk read as zeros. */
    private Kind readKind(long entry) {
        Kind k = kind(entry);
        return k == Kind.UNALLOCATED && backing == null ? Kind.ZERO : k;
    }

    /** Maps the run starting at guest offset {@code pos}, at most {@code max} bytes. Lock held. */
    private Extent mapRun(long pos, int max) throws IOException {
        long gc = pos >>> clusterBits;
        int in = (int) (pos & (clusterSize - 1));
        long entry = tables.entry(gc);
        Kind k = readKind(entry);
        long base = k == Kind.NORMAL ? host(gc, entry) : 0;
        int len = Math.min(max, clusterSize - in);
        if (k == Kind.COMPRESSED) return new Extent(k, entry, 0, len);
        for (long next = gc + 1; len < max; next++) {
            long e = tables.entry(next);
            if (readKind(e) != k) break;
            if (k == Kind.NORMAL && host(next, e) != base + ((next - gc) << clusterBits)) break;
            len += Math.min(max - len, clusterSize);
        }
        return new Extent(k, entry, base + in, len);
    }

    // ---- reads ----

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (closed) throw new IOException(name + ": closed");
        Disk.checkRange(name, header.size, offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            Extent x;
            lock.lock();
            try {
                x = mapRun(pos, dst.remaining());
            } finally {
                lock.unlock();
            }
            ByteBuffer part = dst.duplicate();
            part.limit(part.position() + x.length);
            switch (x.kind) {
                case NORMAL -> {
                    file.readUpTo(part, x.host);
                    if (part.hasRemaining()) Zeros.fill(part, part.remaining()); // short file tail
                }
                case ZERO -> Zeros.fill(part, part.remaining());
                case UNALLOCATED -> readBacking(pos, part);
                case COMPRESSED -> {
                    byte[] c = inflate(x.entry);
                    part.put(c, (int) (pos & (clusterSize - 1)), x.length);
                }
            }
            dst.position(dst.position() + x.length);
            pos += x.length;
        }
    }

    /**
     * A request's segments: each run of clusters contiguous on the host is one preadv
     * across the segments it covers; other runs (zeros, backing, compressed) go segment
     * by segment as {@link #read(long, ByteBuffer)} does.
     */
    @Override
    public void read(long offset, List<ByteBuffer> dsts) throws IOException {
        if (dsts.size() == 1) {
            read(offset, dsts.get(0));
            return;
        }
        if (closed) throw new IOException(name + ": closed");
        long total = 0;
        for (ByteBuffer b : dsts) total += b.remaining();
        Disk.checkRange(name, header.size, offset, total);
        long pos = offset, end = offset + total;
        int next = 0;
        while (pos < end) {
            Extent x;
            lock.lock();
            try {
                x = mapRun(pos, (int) Math.min(Integer.MAX_VALUE, end - pos));
            } finally {
                lock.unlock();
            }
            List<ByteBuffer> parts = new ArrayList<>();
            for (long left = x.length; left > 0; ) {
                ByteBuffer b = dsts.get(next);
                int n = (int) Math.min(left, b.remaining());
                ByteBuffer part = b.duplicate();
                part.limit(part.position() + n);
                parts.add(part);
                b.position(b.position() + n);
                left -= n;
                if (!b.hasRemaining()) next++;
            }
            if (x.kind == Kind.NORMAL) {
                file.readUpTo(parts, x.host);
                for (ByteBuffer part : parts) if (part.hasRemaining()) Zeros.fill(part, part.remaining()); // short file tail
            } else {
                long at = pos;
                for (ByteBuffer part : parts) {
                    int n = part.remaining();
                    read(at, part);
                    at += n;
                }
            }
            pos += x.length;
        }
    }

    private void readBacking(long pos, ByteBuffer part) throws IOException {
        if (backing != null && pos < backing.size()) {
            int n = (int) Math.min(part.remaining(), backing.size() - pos);
            ByteBuffer b = part.duplicate();
            b.limit(b.position() + n);
            backing.read(pos, b);
            part.position(part.position() + n);
        }
        if (part.hasRemaining()) Zeros.fill(part, part.remaining());
    }

    private byte[] inflate(long entry) throws IOException {
        synchronized (inflatedLock) {
            if (entry == inflatedEntry) return inflated;
        }
        long off = compressed.hostOffset(entry);
        if (off >= tables.fileLimit())
            throw new DiskFormatException(name, "compressed cluster at host offset " + Qcow2Header.hex(off) + " beyond end of file");
        byte[] in = new byte[compressed.compressedLength(entry)];
        int n = file.readUpTo(ByteBuffer.wrap(in), off);
        byte[] out = compressed.inflate(in, n, entry);
        synchronized (inflatedLock) {
            inflatedEntry = entry;
            inflated = out;
        }
        return out;
    }

    /** The current contents of {@code [from, from+length)} inside guest cluster {@code gc}. */
    private ByteBuffer oldContents(long gc, long entry, int from, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(length);
        long pos = (gc << clusterBits) + from;
        switch (kind(entry)) {
            case UNALLOCATED -> readBacking(pos, b);
            case ZERO -> { }
            case COMPRESSED -> b.put(inflate(entry), from, length);
            case NORMAL -> {
                file.readUpTo(b, host(gc, entry) + from);
                if (b.hasRemaining()) Zeros.fill(b, b.remaining());
            }
        }
        return b.clear();
    }

    // ---- writes ----

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkWritable();
        Disk.checkRange(name, header.size, offset, src.remaining());
        long pos = offset;
        while (src.hasRemaining()) {
            long host = -1;
            int len;
            lock.lock();
            try {
                long gc = pos >>> clusterBits;
                int in = (int) (pos & (clusterSize - 1));
                long entry = tables.entry(gc);
                if (inPlace(gc, entry)) {
                    host = host(gc, entry) + in;
                    len = Math.min(src.remaining(), clusterSize - in);
                    for (long next = gc + 1; len < src.remaining(); next++) {
                        long e = tables.entry(next);
                        if (!inPlace(next, e) || host(next, e) != host - in + ((next - gc) << clusterBits)) break;
                        len += Math.min(src.remaining() - len, clusterSize);
                    }
                } else {
                    len = allocatingWrite(pos, src);
                }
            } finally {
                lock.unlock();
            }
            if (host >= 0) {
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + len);
                file.writeFully(part, host);
                src.position(src.position() + len);
            }
            pos += len;
        }
    }

    /**
     * Writes the longest prefix of {@code src} at {@code pos} that falls into clusters needing
     * allocation, into freshly allocated contiguous clusters; returns the bytes written.
     */
    private int allocatingWrite(long pos, ByteBuffer src) throws IOException {
        long end = pos + src.remaining();
        long gc0 = pos >>> clusterBits;
        int in0 = (int) (pos & (clusterSize - 1));
        int maxClusters = Math.max(1, MAX_ALLOC_RUN_BYTES >>> clusterBits);
        int n = 1;
        while (n < maxClusters && ((gc0 + n) << clusterBits) < end && !inPlace(gc0 + n, tables.entry(gc0 + n))) n++;
        long[] old = new long[n];
        for (int i = 0; i < n; i++) old[i] = tables.entry(gc0 + i);
        long runEnd = Math.min(end, (gc0 + n) << clusterBits);
        int len = (int) (runEnd - pos);
        int tailIn = (int) (runEnd & (clusterSize - 1));

        long host = refcounts.allocate(n);
        if (in0 > 0) file.writeFully(oldContents(gc0, old[0], 0, in0), host);
        ByteBuffer part = src.duplicate();
        part.limit(part.position() + len);
        file.writeFully(part, host + in0);
        if (tailIn > 0)
            file.writeFully(oldContents(gc0 + n - 1, old[n - 1], tailIn, clusterSize - tailIn),
                    host + ((long) (n - 1) << clusterBits) + tailIn);
        for (int i = 0; i < n; i++) {
            tables.setEntry(gc0 + i, (host + ((long) i << clusterBits)) | COPIED);
            release(old[i]);
        }
        src.position(src.position() + len);
        return len;
    }

    /** Queues the decrement of whatever host clusters an old L2 entry referenced. */
    private void release(long entry) {
        if ((entry & COMPRESSED) != 0) {
            long[] r = compressed.sectorRange(entry);
            refcounts.free(r[0], r[1]);
            synchronized (inflatedLock) {
                if (entry == inflatedEntry) inflatedEntry = -1;
            }
        } else if ((entry & OFFSET_MASK) != 0) {
            refcounts.free(entry & OFFSET_MASK, clusterSize);
        }
    }

    // ---- discard / write zeroes ----

    @Override
    public boolean supportsDiscard() {
        return !readOnly;
    }

    /** Whole guest clusters inside {@code [offset, offset+length)}: {first, end}. */
    private long[] wholeClusters(long offset, long length) {
        long first = (offset + clusterSize - 1) >>> clusterBits;
        long endByte = offset + length;
        long last = endByte == header.size ? (endByte + clusterSize - 1) >>> clusterBits : endByte >>> clusterBits;
        return new long[] {first, Math.max(first, last)};
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        checkWritable();
        Disk.checkRange(name, header.size, offset, length);
        long[] r = wholeClusters(offset, length);
        if (backing != null && !v3) return; // unallocating would expose the backing file
        long replacement = backing != null ? ZERO : 0;
        lock.lock();
        try {
            for (long gc = r[0]; gc < r[1]; gc++) {
                long e = tables.entry(gc);
                if (e == replacement || (backing == null && kind(e) == Kind.UNALLOCATED)) continue;
                tables.setEntry(gc, replacement);
                release(e);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        checkWritable();
        Disk.checkRange(name, header.size, offset, length);
        if (length == 0) return;
        boolean metadataOnly = v3 || (backing == null && mayUnmap);
        if (!metadataOnly) {
            writeZeroData(offset, length);
            return;
        }
        long[] r = wholeClusters(offset, length);
        long wholeStart = r[0] << clusterBits, wholeEnd = Math.min(header.size, r[1] << clusterBits);
        if (wholeStart >= wholeEnd) {
            writeZeroData(offset, length);
            return;
        }
        if (offset < wholeStart) writeZeroData(offset, wholeStart - offset);
        lock.lock();
        try {
            for (long gc = r[0]; gc < r[1]; gc++) {
                long e = tables.entry(gc);
                Kind k = kind(e);
                if (k == Kind.ZERO || (k == Kind.UNALLOCATED && backing == null)) continue;
                long replacement;
                if (!v3) {
                    replacement = 0;
                } else if (!mayUnmap && k == Kind.NORMAL && (e & COPIED) != 0) {
                    replacement = (e & (OFFSET_MASK | COPIED)) | ZERO; // keep the allocation
                    tables.setEntry(gc, replacement);
                    continue;
                } else {
                    replacement = ZERO;
                }
                tables.setEntry(gc, replacement);
                release(e);
            }
        } finally {
            lock.unlock();
        }
        if (wholeEnd < offset + length) writeZeroData(wholeEnd, offset + length - wholeEnd);
    }

    private void writeZeroData(long offset, long length) throws IOException {
        while (length > 0) {
            int k = (int) Math.min(length, Zeros.SIZE);
            write(offset, Zeros.of(k));
            offset += k;
            length -= k;
        }
    }

    // ---- durability ----

    @Override
    public void flush() throws IOException {
        if (readOnly) return;
        if (closed) throw new IOException(name + ": closed");
        lock.lock();
        try {
            flushLocked();
        } finally {
            lock.unlock();
        }
    }

    private void flushLocked() throws IOException {
        if (!tables.hasDirty() && !refcounts.hasPendingFrees()) {
            if (refcounts.hasDirty()) refcounts.writeBack();
            file.sync();
            return;
        }
        refcounts.writeBack();
        file.sync(); // data and refcount increments before the tables that reference them
        tables.writeBack(); // L2 tables, sync, L1 entries
        file.sync();
        if (refcounts.hasPendingFrees()) {
            List<Long> zeroed = refcounts.applyPendingFrees(); // written by the next flush or close
            if (canPunch) for (long off : zeroed) file.punchHole(off, clusterSize);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        try {
            if (!readOnly) {
                lock.lock();
                try {
                    flushLocked();
                    if (refcounts.hasDirty() || tables.hasDirty()) flushLocked();
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            closed = true;
            try {
                file.close();
            } finally {
                if (backing != null) backing.close();
            }
        }
    }

    @Override
    public String toString() {
        return "qcow2 v" + header.version + " " + name + (backing != null ? " <- " + backing : "");
    }
}

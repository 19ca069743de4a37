package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A sparse image file in memory (4 KiB pages, holes read as zeros) for fuzz targets: no
 * file per input. It also checks what a qcow2 implementation may write: never at a negative
 * offset or beyond qcow2's 56-bit host offsets, and, once {@link #guardHeader} is called,
 * nothing in the header cluster but the fields an open image rewrites.
 */
final class MemoryImageFile implements ImageFile {
    private static final int PAGE_BITS = 12, PAGE = 1 << PAGE_BITS;
    /** qcow2 host offsets have 56 bits (Qcow2Tables.OFFSET_MASK). */
    static final long MAX_OFFSET = 1L << 56;

    private final String name;
    private final boolean writable;
    private final Map<Long, byte[]> pages = new HashMap<>();
    private long size;
    private int guardedHeader; // bytes of header cluster no write may touch but the fields below
    int writes, syncs;

    MemoryImageFile(String name, boolean writable) {
        this.name = name;
        this.writable = writable;
    }

    /** A file holding {@code content}. */
    static MemoryImageFile of(String name, byte[] content, boolean writable) {
        MemoryImageFile f = new MemoryImageFile(name, writable);
        f.put(ByteBuffer.wrap(content), 0);
        return f;
    }

    /** The same bytes in a new file (a reopen after close, or a read-only view). */
    MemoryImageFile copy(boolean writable) {
        MemoryImageFile f = new MemoryImageFile(name, writable);
        for (Map.Entry<Long, byte[]> e : pages.entrySet()) f.pages.put(e.getKey(), e.getValue().clone());
        f.size = size;
        return f;
    }

    /** From now on, writes into {@code [0, clusterSize)} may only touch the refcount table and autoclear fields. */
    void guardHeader(int clusterSize) {
        guardedHeader = clusterSize;
    }

    /** The whole file (for small files). */
    byte[] bytes() {
        byte[] b = new byte[Math.toIntExact(size)];
        get(ByteBuffer.wrap(b), 0);
        return b;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) throw new AssertionError(name + ": read at negative offset " + position);
        if (!dst.hasRemaining()) return 0;
        if (position >= size) return -1;
        int n = (int) Math.min(dst.remaining(), size - position);
        ByteBuffer part = dst.duplicate();
        part.limit(part.position() + n);
        get(part, position);
        dst.position(dst.position() + n);
        return n;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (!writable) throw new IOException(name + ": opened read-only");
        int n = src.remaining();
        if (position < 0 || position > MAX_OFFSET - n)
            throw new AssertionError(name + ": write of " + n + " bytes at offset " + position + " outside qcow2's host range");
        checkHeaderGuard(position, n);
        writes++;
        put(src, position);
        size = Math.max(size, position + n);
        return n;
    }

    private void checkHeaderGuard(long position, int n) {
        if (position >= guardedHeader || n == 0) return;
        long end = position + n;
        boolean refcountTable = position >= Qcow2Header.OFF_REFCOUNT_TABLE && end <= Qcow2Header.OFF_REFCOUNT_TABLE + 12;
        boolean autoclear = position >= Qcow2Header.OFF_AUTOCLEAR && end <= Qcow2Header.OFF_AUTOCLEAR + 8;
        if (!refcountTable && !autoclear)
            throw new AssertionError(name + ": write of " + n + " bytes at offset " + position + " into the header cluster");
    }

    private void get(ByteBuffer dst, long position) {
        long p = position;
        while (dst.hasRemaining()) {
            int in = (int) (p & (PAGE - 1));
            int k = Math.min(dst.remaining(), PAGE - in);
            byte[] page = pages.get(p >>> PAGE_BITS);
            if (page == null) Zeros.fill(dst, k);
            else dst.put(page, in, k);
            p += k;
        }
    }

    private void put(ByteBuffer src, long position) {
        long p = position;
        while (src.hasRemaining()) {
            int in = (int) (p & (PAGE - 1));
            int k = Math.min(src.remaining(), PAGE - in);
            src.get(pages.computeIfAbsent(p >>> PAGE_BITS, i -> new byte[PAGE]), in, k);
            p += k;
        }
        size = Math.max(size, p);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void setSize(long newSize) throws IOException {
        if (!writable) throw new IOException(name + ": opened read-only");
        if (newSize < 0 || newSize > MAX_OFFSET) throw new AssertionError(name + ": file size " + newSize);
        if (newSize < size) {
            pages.keySet().removeIf(i -> i << PAGE_BITS >= newSize);
            byte[] last = pages.get(newSize >>> PAGE_BITS);
            if (last != null) Arrays.fill(last, (int) (newSize & (PAGE - 1)), PAGE, (byte) 0);
        }
        size = newSize;
    }

    @Override
    public void sync() {
        syncs++;
    }

    @Override
    public boolean punchHole(long offset, long length) {
        return false;
    }

    @Override
    public boolean zeroRange(long offset, long length) {
        return false;
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return name;
    }
}

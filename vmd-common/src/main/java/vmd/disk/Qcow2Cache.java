package vmd.disk;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded, least-recently-used, write-back cache of cluster-sized metadata tables (L2
 * tables or refcount blocks) keyed by their offset in the image file.
 *
 * <p>Ordering: before any dirty table is written (on eviction or {@link #writeBack}), the
 * {@code beforeWrite} hook runs once; the L2 cache uses it to make refcount increments and
 * data durable first, so that no L2 entry on disk ever points at a cluster that is not yet
 * refcounted or written. Not thread-safe: the owner serializes access with its lock.
 */
final class Qcow2Cache {
    interface Io {
        void read(long offset, byte[] table) throws IOException;

        void write(long offset, byte[] table) throws IOException;

        /** Tables read and written in place in {@code file}. */
        static Io of(ImageFile file) {
            return new Io() {
                @Override
                public void read(long offset, byte[] t) throws IOException {
                    file.readFully(java.nio.ByteBuffer.wrap(t), offset);
                }

                @Override
                public void write(long offset, byte[] t) throws IOException {
                    file.writeFully(java.nio.ByteBuffer.wrap(t), offset);
                }
            };
        }
    }

    interface Hook {
        void run() throws IOException;
    }

    private static final class Entry {
        final byte[] data;
        boolean dirty;

        Entry(byte[] data, boolean dirty) {
            this.data = data;
            this.dirty = dirty;
        }
    }

    private final int tableSize;
    private final int capacity;
    private final Io io;
    private final Hook beforeWrite;
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private int dirtyCount;
    private long hits, misses;

    Qcow2Cache(int tableSize, int capacity, Io io, Hook beforeWrite) {
        if (capacity < 2) throw new IllegalArgumentException("cache capacity " + capacity);
        this.tableSize = tableSize;
        this.capacity = capacity;
        this.io = io;
        this.beforeWrite = beforeWrite;
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return entries.size();
    }

    long hits() {
        return hits;
    }

    long misses() {
        return misses;
    }

    /** The table at {@code offset}, read from the file on a miss. */
    byte[] get(long offset) throws IOException {
        Entry e = entries.get(offset);
        if (e != null) {
            hits++;
            return e.data;
        }
        misses++;
        makeRoom();
        byte[] data = new byte[tableSize];
        io.read(offset, data);
        entries.put(offset, new Entry(data, false));
        return data;
    }

    /** Installs a table that is new or whose content the caller built (dirty: written back later). */
    byte[] put(long offset, byte[] data, boolean dirty) throws IOException {
        Entry old = entries.remove(offset);
        if (old != null && old.dirty) dirtyCount--;
        makeRoom();
        entries.put(offset, new Entry(data, dirty));
        if (dirty) dirtyCount++;
        return data;
    }

    /** Marks a table modified; re-installs it if it was evicted since the caller got it. */
    void markDirty(long offset, byte[] data) throws IOException {
        Entry e = entries.get(offset);
        if (e == null || e.data != data) {
            put(offset, data, true);
            return;
        }
        if (!e.dirty) {
            e.dirty = true;
            dirtyCount++;
        }
    }

    boolean hasDirty() {
        return dirtyCount > 0;
    }

    /** Forgets a table without writing it (its cluster was freed or replaced). */
    void drop(long offset) {
        Entry e = entries.remove(offset);
        if (e != null && e.dirty) dirtyCount--;
    }

    /** Writes every dirty table, in file order, after running the ordering hook once. */
    void writeBack() throws IOException {
        if (dirtyCount == 0) return;
        beforeWrite.run();
        List<Map.Entry<Long, Entry>> dirty = new ArrayList<>();
        for (Map.Entry<Long, Entry> me : entries.entrySet()) if (me.getValue().dirty) dirty.add(me);
        dirty.sort(Map.Entry.comparingByKey());
        for (Map.Entry<Long, Entry> me : dirty) {
            io.write(me.getKey(), me.getValue().data);
            me.getValue().dirty = false;
            dirtyCount--;
        }
    }

    private void makeRoom() throws IOException {
        while (entries.size() >= capacity) {
            Iterator<Map.Entry<Long, Entry>> it = entries.entrySet().iterator();
            Map.Entry<Long, Entry> eldest = it.next();
            Entry e = eldest.getValue();
            if (e.dirty) {
                beforeWrite.run();
                io.write(eldest.getKey(), e.data);
                e.dirty = false;
                dirtyCount--;
            }
            // The hook may have touched this cache's order; remove by key.
            entries.remove(eldest.getKey());
        }
    }
}

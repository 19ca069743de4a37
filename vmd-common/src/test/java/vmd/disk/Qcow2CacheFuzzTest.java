package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The metadata cache against a model (coverage-guided, Jazzer), with writes and the ordering
 * hook failing at chosen points. Contract: a table reads as its latest content; never more
 * than capacity tables; a dirty table is written only after the hook ran since it was last
 * dirtied, with its latest content; a failed write or hook loses nothing (the next write-back
 * writes it); a dropped table is never written.
 */
class Qcow2CacheFuzzTest {
    private static final int TABLE = 16;

    /** The file under the cache, the content every table should have, and the write-ordering log. */
    private static final class Model implements Qcow2Cache.Io {
        final Map<Long, byte[]> disk = new HashMap<>();
        final Map<Long, byte[]> latest = new HashMap<>();
        final Set<Long> dirty = new HashSet<>();
        final Map<Long, Long> dirtiedAt = new HashMap<>();
        long clock, hookAt = -1;
        int failIn = -1; // the write or hook call that fails, counting down

        byte[] expected(long off) {
            byte[] t = latest.get(off);
            return t != null ? t : disk.getOrDefault(off, new byte[TABLE]);
        }

        void dirtied(long off, byte[] content) {
            latest.put(off, content.clone());
            dirty.add(off);
            dirtiedAt.put(off, ++clock);
        }

        private void maybeFail() throws IOException {
            if (failIn >= 0 && failIn-- == 0) throw new IOException("injected failure");
        }

        void hook() throws IOException {
            maybeFail();
            hookAt = ++clock;
        }

        @Override
        public void read(long offset, byte[] table) {
            System.arraycopy(disk.getOrDefault(offset, new byte[TABLE]), 0, table, 0, TABLE);
        }

        @Override
        public void write(long offset, byte[] table) throws IOException {
            assertTrue(dirty.contains(offset), "clean or dropped table " + offset + " written");
            assertTrue(hookAt > dirtiedAt.get(offset), "table " + offset + " written before the ordering hook ran");
            assertArrayEquals(latest.get(offset), table, "table " + offset + " written with stale content");
            maybeFail();
            disk.put(offset, table.clone());
            dirty.remove(offset);
        }
    }

    @FuzzTest
    void writeBackCache(FuzzedDataProvider in) throws IOException {
        Model m = new Model();
        int capacity = in.consumeInt(2, 6);
        Qcow2Cache cache = new Qcow2Cache(TABLE, capacity, m, m::hook);
        for (int op = 0; op < 64 && in.remainingBytes() > 0; op++) {
            long off = TABLE * (long) in.consumeInt(0, 9);
            try {
                switch (in.consumeInt(0, 6)) {
                    case 0 -> assertArrayEquals(m.expected(off), cache.get(off));
                    case 1 -> { // how Qcow2Tables and Qcow2Refcounts modify a table
                        byte[] t = cache.get(off);
                        t[in.consumeInt(0, TABLE - 1)] = in.consumeByte();
                        cache.markDirty(off, t);
                        m.dirtied(off, t);
                    }
                    case 2 -> { // a new table
                        byte[] t = Arrays.copyOf(in.consumeBytes(TABLE), TABLE);
                        cache.put(off, t, true); // if it fails (an eviction), the table was never installed
                        m.dirtied(off, t);
                    }
                    case 3 -> { // a table already written (a new refcount block)
                        byte[] t = Arrays.copyOf(in.consumeBytes(TABLE), TABLE);
                        m.disk.put(off, t.clone());
                        m.latest.put(off, t.clone());
                        m.dirty.remove(off);
                        cache.put(off, t, false);
                    }
                    case 4 -> { // a freed table
                        cache.drop(off);
                        m.latest.remove(off);
                        m.dirty.remove(off);
                    }
                    case 5 -> {
                        cache.writeBack();
                        assertTrue(m.dirty.isEmpty(), "dirty after write-back: " + m.dirty);
                    }
                    default -> m.failIn = in.consumeInt(0, 3);
                }
            } catch (IOException injected) {
                assertEquals("injected failure", injected.getMessage());
            }
            assertTrue(cache.size() <= capacity, "cache holds " + cache.size());
            assertEquals(!m.dirty.isEmpty(), cache.hasDirty());
        }
        m.failIn = -1;
        cache.writeBack();
        assertTrue(m.dirty.isEmpty());
        for (long off = 0; off < 10 * TABLE; off += TABLE) assertArrayEquals(m.expected(off), m.disk.getOrDefault(off, new byte[TABLE]));
    }
}

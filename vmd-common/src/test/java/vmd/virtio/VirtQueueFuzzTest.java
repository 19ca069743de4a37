package vmd.virtio;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import vmd.memory.GuestMemory;

/**
 * Random and adversarial rings from a fixed seed: every pop either yields a chain whose
 * buffers all lie inside guest RAM or throws VirtQueueException.
 */
class VirtQueueFuzzTest {
    private static final long SEED = 0x5eed_1234_abcdL;
    private static final int ITERATIONS = 3000;

    private final GuestMemory mem = Rings.ram();
    private final Random rnd = new Random(SEED);

    private long address() {
        switch (rnd.nextInt(8)) {
            case 0: return rnd.nextInt((int) Rings.RAM);
            case 1: return Rings.RAM - rnd.nextInt(64);
            case 2: return Rings.RAM + rnd.nextInt(1 << 20);
            case 3: return -1L - rnd.nextInt(64);
            case 4: return Long.MAX_VALUE - rnd.nextInt(64);
            case 5: return rnd.nextLong();
            case 6: return 0x1000 + 16L * rnd.nextInt(64);
            default: return 0x80000 + rnd.nextInt(0x7f000);
        }
    }

    private int length() {
        switch (rnd.nextInt(7)) {
            case 0: return 0;
            case 1: return 1 + rnd.nextInt(16);
            case 2: return 16 * (1 + rnd.nextInt(64));
            case 3: return -1;
            case 4: return rnd.nextInt();
            case 5: return (int) Rings.RAM;
            default: return 1 + rnd.nextInt(4096);
        }
    }

    private int flags() {
        int f = rnd.nextInt(8);
        if (rnd.nextInt(16) == 0) f |= rnd.nextInt(0x10000);
        return f;
    }

    private void randomTable(long table, int entries, int nextBound) {
        for (int i = 0; i < entries; i++) {
            Rings.desc(mem, table, i, address(), length(), flags(), rnd.nextInt(Math.max(1, nextBound)));
        }
    }

    /** Chains of 1-4 descriptors, readable before writable, buffers inside RAM. */
    private void wellFormedTable(long table, int entries) {
        int i = 0;
        while (i < entries) {
            int len = Math.min(entries - i, 1 + rnd.nextInt(4));
            int firstWritable = rnd.nextInt(len + 1);
            for (int k = 0; k < len; k++) {
                int flags = (k + 1 < len ? VirtQueue.DESC_F_NEXT : 0) | (k >= firstWritable ? VirtQueue.DESC_F_WRITE : 0);
                Rings.desc(mem, table, i + k, 0x80000 + rnd.nextInt(0x70000), 1 + rnd.nextInt(4096), flags, i + k + 1);
            }
            i += len;
        }
    }

    @Test
    void randomRingsYieldOnlyValidChainsOrVirtQueueException() {
        int chains = 0, errors = 0;
        long worst = 0;
        for (int iter = 0; iter < ITERATIONS; iter++) {
            int size = 1 << rnd.nextInt(9); // 1..256
            mem.write(0x1000, new byte[0xf000]);
            Rings r = Rings.standard(mem, size);
            if (rnd.nextInt(3) == 0) {
                randomTable(r.desc, size, rnd.nextBoolean() ? size : size * 2 + 1);
            } else {
                wellFormedTable(r.desc, size);
                // then a few mutations
                int mutations = rnd.nextInt(3);
                for (int m = 0; m < mutations; m++) {
                    Rings.desc(mem, r.desc, rnd.nextInt(size), address(), length(), flags(), rnd.nextInt(size + 1));
                }
            }
            // a few indirect tables somewhere in RAM, pointed at by some descriptors
            for (int t = 0, tables = rnd.nextInt(4); t < tables; t++) {
                long table = 0x10000 + 0x10000L * t;
                int entries = 1 + rnd.nextInt(64);
                randomTable(table, entries, rnd.nextBoolean() ? entries : entries + 3);
                int victim = rnd.nextInt(size);
                int len = rnd.nextInt(4) == 0 ? length() : entries * 16;
                Rings.desc(mem, r.desc, victim, table, len, VirtQueue.DESC_F_INDIRECT | (rnd.nextInt(4) == 0 ? flags() : 0),
                        rnd.nextInt(size));
            }
            for (int i = 0; i < size; i++) mem.putShort(r.avail + 4 + 2L * i, (short) rnd.nextInt(size + (rnd.nextInt(8) == 0 ? 2 : 0)));
            int start = rnd.nextInt(0x10000);
            int idx = rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : (start + rnd.nextInt(size + 1)) & 0xffff;
            mem.putShort(r.avail + 2, (short) idx);
            mem.putShort(r.avail + 4 + 2L * size, (short) rnd.nextInt(0x10000));
            long features = rnd.nextLong();
            VirtQueue q;
            try {
                q = new VirtQueue(mem, size, r.desc, r.avail, r.used, features, start);
            } catch (VirtQueueException e) {
                fail("standard layout must be accepted: " + e.getMessage());
                return;
            }
            for (int pops = 0; pops < size + 2; pops++) {
                long t0 = System.nanoTime();
                DescriptorChain c;
                try {
                    c = q.pop();
                } catch (VirtQueueException e) {
                    errors++;
                    break;
                } catch (RuntimeException e) {
                    throw new AssertionError("iteration " + iter + ": pop threw " + e, e);
                }
                worst = Math.max(worst, System.nanoTime() - t0);
                if (c == null) break;
                chains++;
                check(c, size);
                if (rnd.nextBoolean()) {
                    q.pushUsed(c, (int) Math.min(c.writableLength(), Integer.MAX_VALUE));
                    q.needsNotification();
                }
            }
        }
        System.out.printf("fuzz: %d chains, %d VirtQueueExceptions, worst pop %d us%n", chains, errors, worst / 1000);
        assertTrue(chains > 100, "the fuzzer should also produce valid chains");
        assertTrue(errors > 100, "the fuzzer should also produce hostile chains");
    }

    private static final GuestMemory FUZZ_RAM = Rings.ram();

    /**
     * Coverage-guided (Jazzer): the input decides the queue size, features, indices, every
     * descriptor of the ring and up to four indirect tables. Every pop must yield a chain
     * inside guest RAM or throw VirtQueueException; anything else is a finding. CI replays
     * the seeds and past findings in src/test/resources/vmd/virtio/VirtQueueFuzzTestInputs;
     * bench/fuzz.sh runs it for 10^6 inputs.
     */
    @FuzzTest
    void splitRing(FuzzedDataProvider in) {
        GuestMemory mem = FUZZ_RAM;
        mem.write(0x1000, new byte[0x4f000]);
        int size = 1 << in.consumeInt(0, 8);
        long features = in.consumeLong();
        int start = in.consumeInt(0, 0xffff);
        int idx = in.consumeBoolean() ? (start + in.consumeInt(0, size + 1)) & 0xffff : in.consumeInt(0, 0xffff);
        Rings r = Rings.standard(mem, size);
        for (int i = 0; i < size && in.remainingBytes() > 0; i++) fuzzedDescriptor(in, mem, r.desc, i, size);
        for (int t = 0, tables = in.consumeInt(0, 4); t < tables; t++) {
            long table = 0x10000L * (t + 1);
            for (int i = 0, n = in.consumeInt(1, 64); i < n; i++) fuzzedDescriptor(in, mem, table, i, n);
        }
        for (int i = 0; i < size; i++) mem.putShort(r.avail + 4 + 2L * i, (short) in.consumeInt(0, size + 1));
        mem.putShort(r.avail + 2, (short) idx);
        mem.putShort(r.avail + 4 + 2L * size, (short) in.consumeInt(0, 0xffff));
        VirtQueue q;
        try {
            q = new VirtQueue(mem, size, r.desc, r.avail, r.used, features, start);
        } catch (VirtQueueException e) {
            throw new AssertionError("standard layout must be accepted: " + e.getMessage(), e);
        }
        for (int pops = 0; pops < size + 2; pops++) {
            DescriptorChain c;
            try {
                c = q.pop();
            } catch (VirtQueueException e) {
                return;
            }
            if (c == null) return;
            check(c, size);
            if (in.consumeBoolean()) {
                q.pushUsed(c, (int) Math.min(c.writableLength(), Integer.MAX_VALUE));
                q.needsNotification();
            }
        }
    }

    private static void fuzzedDescriptor(FuzzedDataProvider in, GuestMemory mem, long table, int i, int entries) {
        long addr = switch (in.consumeInt(0, 3)) {
            case 0 -> in.consumeLong(0, Rings.RAM - 1);
            case 1 -> 0x10000L * in.consumeInt(1, 4); // one of the indirect tables
            case 2 -> Rings.RAM - in.consumeInt(0, 64);
            default -> in.consumeLong();
        };
        int len = in.consumeBoolean() ? in.consumeInt(0, 4096) : in.consumeInt();
        int flags = in.consumeBoolean() ? in.consumeInt(0, 7) : in.consumeInt(0, 0xffff);
        int next = in.consumeBoolean() ? in.consumeInt(0, entries) : in.consumeInt(0, 0xffff);
        Rings.desc(mem, table, i, addr, len, flags, next);
    }

    private static void check(DescriptorChain c, int size) {
        assertTrue(c.head() >= 0 && c.head() < size);
        assertTrue(c.descriptorCount() >= 1 && c.descriptorCount() <= size + VirtQueue.MAX_SIZE);
        assertTrue(c.readableLength() + c.writableLength() <= VirtQueue.MAX_CHAIN_LENGTH);
        long r = 0, w = 0;
        for (DescriptorChain.Segment s : c.readableSegments()) {
            inside(s);
            r += s.length();
        }
        for (DescriptorChain.Segment s : c.writableSegments()) {
            inside(s);
            w += s.length();
        }
        assertEquals(c.readableLength(), r);
        assertEquals(c.writableLength(), w);
    }

    private static void inside(DescriptorChain.Segment s) {
        assertTrue(s.length() > 0);
        assertTrue(s.address() >= 0 && s.address() + s.length() <= Rings.RAM,
                String.format("segment 0x%x+0x%x outside RAM", s.address(), s.length()));
    }

    @Test
    @Timeout(120) // a hang guard, not a speed bound: a loop the walk missed would spin forever
    void worstCaseChainsStayBounded() throws Exception {
        // a full queue of 256 heads, all pointing at one maximal indirect table whose
        // entries form the longest legal chain: each pop walks 32768 descriptors.
        int size = 256;
        mem.write(0x1000, new byte[0xf000]);
        Rings r = Rings.standard(mem, size);
        long table = 0x80000; // 32768 * 16 = 512 KiB
        for (int i = 0; i < VirtQueue.MAX_SIZE; i++) {
            Rings.desc(mem, table, i, 0x20000, 1, VirtQueue.DESC_F_NEXT, i + 1);
        }
        Rings.desc(mem, table, VirtQueue.MAX_SIZE - 1, 0x20000, 1, 0, 0);
        for (int i = 0; i < size; i++) {
            r.desc(i, table, VirtQueue.MAX_SIZE * 16, VirtQueue.DESC_F_INDIRECT, 0);
            r.publish(i);
        }
        VirtQueue q = r.queue(VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC));
        long t0 = System.nanoTime();
        for (int i = 0; i < size; i++) {
            DescriptorChain c = q.pop();
            assertEquals(VirtQueue.MAX_SIZE + 1, c.descriptorCount());
        }
        System.out.printf("worst case: %d us a pop%n", (System.nanoTime() - t0) / size / 1000);
        // and the same table turned into a loop just before its end
        Rings.desc(mem, table, VirtQueue.MAX_SIZE - 1, 0x20000, 1, VirtQueue.DESC_F_NEXT, 0);
        r.publish(0);
        assertThrows(VirtQueueException.class, q::pop);
    }
}

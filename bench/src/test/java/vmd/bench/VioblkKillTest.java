package vmd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.testing.Prerequisites;
import vmd.vhostuser.UnixListener;

/**
 * Metadata ordering under a real kill: a vioblk process serving a fresh qcow2 image gets
 * flushed writes, then a burst of allocating writes (new clusters: data, refcounts, L2
 * entries) and SIGKILL somewhere inside the burst, a different moment each round. The
 * image must then pass {@code qemu-img check} (leaked clusters allowed, as with QEMU;
 * corruption not), and every byte flushed and not rewritten in the burst must read back,
 * through QEMU's own qcow2 reader.
 */
class VioblkKillTest {
    static final long SIZE = 64 << 20;
    static final String QEMU_IMG = "/usr/bin/qemu-img";

    @TempDir
    Path dir;

    @Test
    void aKilledBackEndLeavesAConsistentImageWithItsFlushedData() throws Exception {
        Prerequisites.requireTool(QEMU_IMG);
        BlkBench.Options o = BlkBench.Options.parse(new String[] {"--dir", dir.toString()});
        int leaky = 0;
        StringBuilder completed = new StringBuilder();
        for (int round = 0; round < 8; round++) {
            Path image = dir.resolve("kill-" + round + ".qcow2");
            exec(QEMU_IMG, "create", "-q", "-f", "qcow2", image.toString(), Long.toString(SIZE));
            byte[] mirror = new byte[(int) SIZE];
            BitSet burst = new BitSet();
            SplittableRandom r = new SplittableRandom(round);
            Backend b = Backend.vioblk(o.java, o.vioblkJvmFlags, o.vioblkClasspath, image, dir, "kill" + round);
            BlkDriver d = null;
            try {
                b.awaitSocket(60_000);
                d = new BlkDriver(UnixListener.connect(b.socket, 10_000), "kill" + round, true);
                int[] done = new int[BlkDriver.MAX_SLOTS];
                for (int i = 0; i < 150; i++) { // flushed: must survive
                    write(d, 0, r, mirror, null, i % 10 == 0 ? BlkDriver.SLOT_BYTES : 4096);
                    d.publish();
                    d.reap(done);
                }
                d.flush();
                for (int s = 0; s < BlkDriver.MAX_SLOTS; s++) write(d, s, r, mirror, burst, s % 8 == 0 ? 256 << 10 : 4096);
                d.publish();
                long delay = 150_000L * round; // 0 to ~1 ms into the burst
                java.util.concurrent.locks.LockSupport.parkNanos(delay);
                b.process.destroyForcibly(); // SIGKILL
                assertTrue(b.process.waitFor(30, TimeUnit.SECONDS));
                completed.append(' ').append(d.completedUnreaped());
            } finally {
                if (d != null) {
                    try {
                        d.close();
                    } catch (RuntimeException gone) {
                        // the back-end is dead
                    }
                }
                b.close();
            }
            String[] check = exec(QEMU_IMG, "check", "-f", "qcow2", image.toString());
            int status = Integer.parseInt(check[0]);
            assertTrue(status == 0 || status == 3, "round " + round + ": qemu-img check exit " + status + " (2 is corruption):\n" + check[1]);
            if (status == 3) leaky++;
            Path raw = dir.resolve("kill-" + round + ".raw");
            exec(QEMU_IMG, "convert", "-f", "qcow2", "-O", "raw", image.toString(), raw.toString());
            byte[] now = Files.readAllBytes(raw);
            assertEquals(SIZE, now.length);
            for (int i = 0; i < now.length; i++) {
                if (!burst.get(i) && now[i] != mirror[i]) throw new AssertionError("round " + round + ": flushed byte at " + i + " lost");
            }
            Files.delete(raw);
            Files.delete(image);
        }
        System.out.println("8 kills inside a burst of " + BlkDriver.MAX_SLOTS + " allocating writes; completed before each kill:"
                + completed + "; images with leaked clusters: " + leaky);
    }

    /** Queues a write of {@code length} pseudo-random bytes at a random 4 KiB-aligned offset; records it. */
    private static void write(BlkDriver d, int slot, SplittableRandom r, byte[] mirror, BitSet burst, int length) {
        long offset = r.nextLong((SIZE - length) / 4096 + 1) * 4096;
        long seed = r.nextLong();
        d.fill(slot, seed, length);
        SplittableRandom data = new SplittableRandom(seed);
        java.nio.ByteBuffer m = java.nio.ByteBuffer.wrap(mirror, (int) offset, length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (m.remaining() >= 8) m.putLong(data.nextLong());
        if (burst != null) burst.set((int) offset, (int) offset + length);
        d.queue(slot, BlkDriver.T_OUT, offset, length);
    }

    private static String[] exec(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(argv)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), List.of(argv) + " did not finish");
        if (!argv[1].equals("check")) assertEquals(0, p.exitValue(), List.of(argv) + ":\n" + out);
        return new String[] {Integer.toString(p.exitValue()), out};
    }
}

package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash consistency: write, flush, write more without flushing, then crash (the process dies
 * mid-operation and/or unsynced writes are lost in any combination). {@code qemu-img check
 * -r all} must repair the image, and every byte flushed and not rewritten afterwards must
 * read back.
 */
class Qcow2CrashTest {
    static final int SIZE = 8 << 20;

    @TempDir Path dir;
    int crashes, lostWrites;

    @BeforeEach
    void setUp() {
        Qemu.require();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ours", "qemu-v2", "overlay", "small-clusters"})
    void flushedDataSurvivesAnyCrash(String kind) throws IOException {
        int rounds = 12;
        for (int seed = 0; seed < rounds; seed++) crashOnce(kind, seed);
        System.out.println(kind + ": " + crashes + " crashes, " + lostWrites + " unsynced writes lost, flushed data intact");
    }

    private void crashOnce(String kind, int seed) throws IOException {
        Path round = Files.createDirectories(dir.resolve(kind + "-" + seed));
        Path q = round.resolve("img.qcow2");
        Path base = null;
        int cs = 65536;
        switch (kind) {
            case "ours" -> Qcow2Creator.create(q, SIZE);
            case "qemu-v2" -> Qemu.img("create", "-f", "qcow2", "-o", "compat=0.10", q, SIZE);
            case "small-clusters" -> {
                Qemu.img("create", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=4", q, SIZE);
                cs = 512;
            }
            default -> {
                base = round.resolve("base.qcow2");
                Path src = TestImages.writeRaw(round.resolve("src.raw"), TestImages.pattern(SIZE, seed));
                Qemu.img("convert", "-c", "-O", "qcow2", src, base);
                Qcow2Creator.createOverlay(q, "base.qcow2", -1);
            }
        }
        Path mirror = round.resolve("mirror.raw");
        Qemu.img("convert", "-O", "raw", q, mirror);

        Random r = new Random(seed * 31L + kind.hashCode());
        PowerLossImageFile file = new PowerLossImageFile(ImageFile.open(q, true));
        Disk backing = base == null ? null : Qcow2Chain.open(base, true);
        Qcow2Disk d = Qcow2Disk.open(file, backing, false, 4 * cs); // a tiny L2 cache: evictions too
        Qcow2WriteTest.randomOps(d, mirror, seed, 60, true, cs);
        d.flush();
        byte[] flushed = Files.readAllBytes(mirror);

        Path after = round.resolve("after.raw");
        Files.copy(mirror, after);
        if (r.nextBoolean()) file.failAfter(r.nextInt(200)); // the process dies somewhere in here
        java.util.BitSet touched = new java.util.BitSet();
        try {
            Qcow2WriteTest.randomOps(d, after, seed + 1000, 60, true, cs, touched);
            if (r.nextBoolean()) d.flush();
            Qcow2WriteTest.randomOps(d, after, seed + 2000, 20, true, cs, touched);
        } catch (IOException e) {
            if (!e.getMessage().contains("simulated crash")) throw e;
        }
        int lost = file.crash(r); // the Disk is dropped without close
        crashes++;
        lostWrites += lost;
        if (backing != null) backing.close();

        Qemu.Result before = Qemu.run(Qemu.QEMU_IMG, "check", q.toString());
        Qemu.Result repair = Qemu.run(Qemu.QEMU_IMG, "check", "-r", "all", q.toString());
        if (repair.exit() != 0) fail(kind + " seed " + seed + ": qemu-img check -r all exited " + repair.exit() + "\n" + repair.output());
        if (before.exit() != 0 && before.exit() != 3)
            System.out.println(kind + " seed " + seed + ": before repair (exit " + before.exit() + "): " + before.output());
        Qemu.checkClean(q);

        // Bytes untouched since the flush read back as flushed; bytes rewritten since may be either.
        byte[] now = readWithQemu(q, round);
        for (int i = 0; i < flushed.length; i++) {
            if (!touched.get(i) && now[i] != flushed[i]) {
                fail(kind + " seed " + seed + ": flushed byte at " + i + " lost (" + lost + " unsynced writes lost)");
            }
        }
        long repairedSize = Files.size(q);
        try (Disk again = TestImages.open(q, false)) {
            assertEquals(SIZE, again.size());
            byte[] ours = TestImages.readAll(again);
            for (int i = 0; i < now.length; i++) if (ours[i] != now[i]) fail("our read differs from qemu's at " + i);
            Qcow2WriteTest.randomOps(again, round.resolve("after.raw"), seed + 3000, 20, true, cs);
        }
        // A crash can leave refcounts on clusters past the end of the file (refcounts are made
        // durable before the data they count). qemu-img check ignores refcounts past the end, so
        // they survive the repair; once a later session grows the file past them they show up as
        // leaks, as they would with QEMU. Nothing else may be wrong.
        Qemu.Result last = Qemu.run(Qemu.QEMU_IMG, "check", q.toString());
        if (last.exit() != 0) {
            for (String line : last.output().lines().toList()) {
                if (line.isBlank() || !line.startsWith("Leaked cluster ")) continue;
                long cluster = Long.parseLong(line.split(" ")[2]);
                if (cluster * cs < repairedSize)
                    fail(kind + " seed " + seed + ": leak inside the repaired image:\n" + last.output());
            }
            if (last.exit() != 3) fail(kind + " seed " + seed + ": qemu-img check exited " + last.exit() + "\n" + last.output());
            System.out.println(kind + " seed " + seed + ": leaks past the repaired end of file (crash leftovers): "
                    + last.output().lines().filter(l -> l.startsWith("Leaked")).count());
        }
    }

    private static byte[] readWithQemu(Path q, Path round) throws IOException {
        Path out = round.resolve("now.raw");
        Qemu.img("convert", "-O", "raw", q, out);
        return Files.readAllBytes(out);
    }
}

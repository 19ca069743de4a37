package vmd.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import vmd.vhostuser.UnixListener;

/**
 * After the timed rounds: the same writes through each back-end into a fresh, empty image
 * of the format (so the qcow2 back-ends allocate clusters, copy partial ones and grow
 * tables as they go), then {@code qemu-img check} on each image and {@code qemu-img
 * compare} of ours against qemu-storage-daemon's. The writes go one at a time, so both
 * images see them in the same order: 4 KiB ones and, every tenth, 1 MiB ones at 4 KiB
 * alignment (straddling clusters), each with its own pseudo-random data.
 */
final class ImageIntegrity {
    static final int WRITES = 3000;

    interface BackendStarter {
        Backend start(String which, Path image) throws Exception;
    }

    private ImageIntegrity() {}

    /** Returns a one-line verdict per image and for the comparison. */
    static List<String> run(String qemuImg, String format, long size, Path dir, List<String> backends, BackendStarter starter,
                            PrintStream progress) throws Exception {
        Map<String, Path> images = new LinkedHashMap<>();
        List<String> verdicts = new ArrayList<>();
        try {
            for (String which : backends) {
                Path image = dir.resolve("fresh-" + which + "." + format);
                Files.deleteIfExists(image);
                exec(List.of(qemuImg, "create", "-q", "-f", format, image.toString(), Long.toString(size)));
                images.put(which, image);
                Backend b = starter.start(which, image);
                try {
                    b.awaitSocket(60_000);
                    try (BlkDriver d = new BlkDriver(UnixListener.connect(b.socket, 10_000), "fresh-" + which, true)) {
                        write(d, size);
                        d.flush();
                    }
                } finally {
                    b.close();
                }
                progress.printf("%s %s: %d writes into a fresh image%n", format, b.name, WRITES);
            }
            for (Map.Entry<String, Path> e : images.entrySet()) {
                if (!format.equals("qcow2")) continue;
                Result check = exec(List.of(qemuImg, "check", "-f", format, e.getValue().toString()));
                verdicts.add(e.getKey() + ": qemu-img check " + (check.status == 0 ? "clean" : "exit " + check.status + ": " + check.out.strip()));
            }
            if (images.size() == 2) {
                List<Path> two = new ArrayList<>(images.values());
                Result cmp = exec(List.of(qemuImg, "compare", "-f", format, "-F", format, two.get(0).toString(), two.get(1).toString()));
                verdicts.add("qemu-img compare " + String.join(" vs ", images.keySet()) + ": "
                        + (cmp.status == 0 ? "identical" : "exit " + cmp.status + ": " + cmp.out.strip()));
            }
        } finally {
            for (Path p : images.values()) Files.deleteIfExists(p);
        }
        return verdicts;
    }

    private static void write(BlkDriver d, long size) {
        SplittableRandom r = new SplittableRandom(42);
        int[] done = new int[BlkDriver.MAX_SLOTS];
        for (int i = 0; i < WRITES; i++) {
            int length = i % 10 == 0 ? BlkDriver.SLOT_BYTES : 4096;
            long offset = r.nextLong((size - length) / 4096 + 1) * 4096;
            d.fill(0, r.nextLong(), length);
            d.queue(0, BlkDriver.T_OUT, offset, length);
            d.publish();
            d.reap(done);
        }
    }

    private record Result(int status, String out) {}

    private static Result exec(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(argv + " did not finish");
        }
        if (argv.get(1).equals("create") && p.exitValue() != 0) throw new IOException(argv + ": " + out);
        return new Result(p.exitValue(), out);
    }
}

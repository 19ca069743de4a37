package vmd.disk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import vmd.testing.Prerequisites;

/** Runs qemu-img and qemu-io, the reference implementation the disk tests compare with. */
final class Qemu {
    static final String QEMU_IMG = "/usr/bin/qemu-img", QEMU_IO = "/usr/bin/qemu-io";

    record Result(int exit, String output) { }

    private Qemu() {}

    static void require() {
        Prerequisites.requireTool(QEMU_IMG);
    }

    static void requireIo() {
        Prerequisites.requireTool(QEMU_IO);
    }

    static Result run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                Assertions.fail("timed out: " + String.join(" ", argv));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("running " + String.join(" ", argv), e);
        }
    }

    /** Runs and fails the test unless the exit status is 0. */
    static String ok(String... argv) {
        Result r = run(argv);
        if (r.exit != 0) Assertions.fail(String.join(" ", argv) + " exited " + r.exit + ":\n" + r.output);
        return r.output;
    }

    static String img(Object... args) {
        List<String> argv = new ArrayList<>();
        argv.add(QEMU_IMG);
        for (Object a : args) argv.add(a.toString());
        return ok(argv.toArray(new String[0]));
    }

    /** qemu-io on a qcow2 image with the given commands. */
    static String io(Path image, String... commands) {
        List<String> argv = new ArrayList<>(List.of(QEMU_IO, "-f", "qcow2"));
        for (String c : commands) {
            argv.add("-c");
            argv.add(c);
        }
        argv.add(image.toString());
        String out = ok(argv.toArray(new String[0]));
        if (out.contains("failed") || out.contains("error")) Assertions.fail("qemu-io: " + out);
        return out;
    }

    /** qemu-img check must find no errors and no leaks. */
    static void checkClean(Path image) {
        Result r = run(QEMU_IMG, "check", image.toString());
        if (r.exit != 0 || !r.output.contains("No errors were found"))
            Assertions.fail("qemu-img check " + image + " exited " + r.exit + ":\n" + r.output);
    }

    static void assertIdentical(Path a, String fmtA, Path b, String fmtB) {
        Result r = run(QEMU_IMG, "compare", "-f", fmtA, "-F", fmtB, a.toString(), b.toString());
        if (r.exit != 0) Assertions.fail("qemu-img compare " + a + " " + b + " exited " + r.exit + ":\n" + r.output);
    }
}

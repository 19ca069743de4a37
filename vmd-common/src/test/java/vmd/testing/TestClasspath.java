package vmd.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A copy of the test class path that an unprivileged child can read. Maven keeps jars
 * under /root/.m2 (mode 700), which a child running as _vmd cannot open, so tests that
 * spawn dropped children copy every entry to a world-readable directory once per JVM.
 */
public final class TestClasspath {
    private static String readable;

    private TestClasspath() {}

    /**
     * The command that runs {@code mainClass} of the test classpath in a JVM of its own as
     * the tests start vmd and vmctl: the same Java, the readable copy of the classpath, C1
     * only (short-lived processes), jnr-ffi without its assembler (vmd and vmctl still load jnr-posix).
     */
    public static List<String> javaCommand(String mainClass) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("-Djnr.ffi.x86asm.enabled=false");
        argv.add("--enable-native-access=ALL-UNNAMED");
        argv.add("-XX:TieredStopAtLevel=1");
        argv.add("-cp");
        argv.add(readableCopy());
        argv.add(mainClass);
        return argv;
    }

    public static synchronized String readableCopy() {
        if (readable != null) return readable;
        try {
            Path root = Files.createTempDirectory(Path.of("/tmp"), "vmd-test-cp-");
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path src = Path.of(entry);
                if (!Files.exists(src)) continue;
                Path dst = root.resolve(i++ + "-" + src.getFileName());
                if (Files.isDirectory(src)) copyTree(src, dst);
                else Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
                entries.add(dst.toString());
            }
            makeReadable(root);
            readable = String.join(File.pathSeparator, entries);
            return readable;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path src, Path dst) throws IOException {
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(dst.resolve(src.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, dst.resolve(src.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void makeReadable(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }
}

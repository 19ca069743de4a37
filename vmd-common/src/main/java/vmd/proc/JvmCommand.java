package vmd.proc;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to start a child JVM: which java, which class path, which flags.
 *
 * <p>Children are small and start often, so they run with the serial collector, small
 * thread stacks, no perf-data file and, when the build made one, the AppCDS archive
 * (DESIGN.md section 8: ~330 ms instead of ~600 ms to ready).
 */
public record JvmCommand(Path java, String classPath, List<String> jvmOptions) {

    public static final List<String> CHILD_OPTIONS = List.of(
            "-XX:+UseSerialGC", "-Xss512k", "-Xmx64m", "-XX:-UsePerfData",
            "-Djnr.ffi.x86asm.enabled=false");

    /** The running JVM's java and class path; the CDS archive if one sits next to the jars. */
    public static JvmCommand current() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String cp = System.getProperty("java.class.path");
        List<String> options = new ArrayList<>(CHILD_OPTIONS);
        Path archive = cdsArchiveFor(cp);
        if (archive != null) {
            options.add("-XX:SharedArchiveFile=" + archive);
            options.add("-Xshare:auto");
        }
        return new JvmCommand(java, cp, List.copyOf(options));
    }

    public JvmCommand withClassPath(String cp) {
        return new JvmCommand(java, cp, jvmOptions);
    }

    /** The archive the build writes beside the jars: {@code lib/vmd-children.jsa}. */
    static Path cdsArchiveFor(String classPath) {
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.endsWith(".jar")) continue;
            Path archive = Path.of(entry).toAbsolutePath().getParent().resolve("vmd-children.jsa");
            if (Files.isReadable(archive)) return archive;
        }
        return null;
    }

    /** argv for {@code mainClass args...}. */
    public List<String> argv(List<String> extraOptions, String mainClass, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(java.toString());
        argv.addAll(jvmOptions);
        argv.addAll(extraOptions);
        argv.add("-cp");
        argv.add(classPath);
        argv.add(mainClass);
        argv.addAll(args);
        return argv;
    }
}

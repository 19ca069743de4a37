package vmd.proc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to start a child JVM: which java, the class path of its kind ({@link ChildClassPath}),
 * and the flags of its kind
 * ({@link ChildJvmFlags}) with the kind's AOT cache when the build made one
 * ({@link AotCache}: DESIGN.md section 8, ~100 ms to ready instead of ~200 ms).
 */
public record JvmCommand(Path java, String classPath, List<String> extraOptions) {

    /** The running JVM's java and class path. */
    public static JvmCommand current() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new JvmCommand(java, System.getProperty("java.class.path"), List.of());
    }

    public JvmCommand withClassPath(String cp) {
        return new JvmCommand(java, cp, extraOptions);
    }

    /** argv for a child of {@code kind} running {@code mainClass args...}. */
    public List<String> argv(String kind, List<String> options, String mainClass, List<String> args) {
        String cp = ChildClassPath.forKind(classPath, kind);
        List<String> argv = new ArrayList<>();
        argv.add(java.toString());
        argv.addAll(ChildJvmFlags.of(kind));
        argv.addAll(AotCache.options(cp, kind));
        argv.addAll(extraOptions);
        argv.addAll(options);
        argv.add("-cp");
        argv.add(cp);
        argv.add(mainClass);
        argv.addAll(args);
        return argv;
    }
}

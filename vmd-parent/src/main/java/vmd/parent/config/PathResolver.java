package vmd.parent.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * realpath(3) for {@code boot}, {@code disk}, {@code initrd} and {@code firmware}, and
 * whether an image can be opened. OpenBSD resolves these paths when the file is read and
 * makes a missing image a configuration error; here it is a warning, so that one VM's
 * missing image does not keep the others from starting (that VM fails when it starts).
 * Relative paths resolve against the current directory, as there.
 */
@FunctionalInterface
public interface PathResolver {

    String realPath(String path) throws IOException;

    /**
     * Throws, with strerror's text as the message, if the resolved image cannot be opened
     * for reading. The default accepts every path.
     */
    default void checkReadable(String realPath) throws IOException {
    }

    static PathResolver system() {
        return new PathResolver() {
            @Override
            public String realPath(String p) throws IOException {
                try {
                    return Path.of(p).toRealPath().toString();
                } catch (InvalidPathException e) {
                    throw new IOException("Invalid argument", e);
                }
            }

            /** access(2), not open(2): opening a FIFO would block {@code vmd -n}. */
            @Override
            public void checkReadable(String realPath) throws IOException {
                Path p = Path.of(realPath);
                if (Files.isDirectory(p)) {
                    throw new IOException("Is a directory");
                }
                if (!Files.isReadable(p)) {
                    throw new IOException("Permission denied");
                }
            }
        };
    }

    /** Accepts every path as it is written (for checking a file on another host, and tests). */
    static PathResolver asWritten() {
        return p -> p;
    }
}

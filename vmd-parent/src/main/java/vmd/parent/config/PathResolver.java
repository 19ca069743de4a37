package vmd.parent.config;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * realpath(3) for {@code boot}, {@code disk}, {@code initrd} and
 * {@code firmware}: OpenBSD resolves these when the file is read, so a missing
 * image is a configuration error. Relative paths resolve against the current
 * directory, as there.
 */
@FunctionalInterface
public interface PathResolver {

    String realPath(String path) throws IOException;

    static PathResolver system() {
        return p -> {
            try {
                return Path.of(p).toRealPath().toString();
            } catch (InvalidPathException e) {
                throw new IOException("Invalid argument", e);
            }
        };
    }

    /** Accepts every path as it is written (for checking a file on another host, and tests). */
    static PathResolver asWritten() {
        return p -> p;
    }
}

package vmd.parent.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where {@code include "name"} reads from: the host's files, or a fixed table for
 * tests and the fuzzer, which must not touch the file system.
 */
@FunctionalInterface
public interface IncludeFiles {

    /**
     * A file's content and identity: two names of one file (a relative and an
     * absolute path, a symbolic link) have the same identity, so a loop is seen.
     */
    record Content(String identity, byte[] data) {
    }

    /**
     * Reads {@code name}, at most {@code budget} bytes of it.
     *
     * @throws IOException if it cannot be read, is not a regular file or is larger
     *                     than the budget; the message says which
     */
    Content read(String name, long budget) throws IOException;

    /** Relative names are taken from the current directory, as OpenBSD's vmd does. */
    static IncludeFiles system() {
        return (name, budget) -> {
            Path real;
            try {
                real = Path.of(name).toRealPath();
            } catch (InvalidPathException e) {
                throw new IOException("Invalid argument", e);
            }
            // A FIFO or a device would block the parser or never end.
            if (!Files.isRegularFile(real)) {
                throw new IOException("not a regular file");
            }
            return new Content(real.toString(), readAtMost(real, budget));
        };
    }

    /** No file can be included: for text parsed on its own. */
    static IncludeFiles none() {
        return (name, budget) -> {
            throw new NoSuchFileException(name);
        };
    }

    /** A fixed table of names and contents, each its own identity. */
    static IncludeFiles of(Map<String, byte[]> files) {
        return (name, budget) -> {
            byte[] data = files.get(name);
            if (data == null) {
                throw new NoSuchFileException(name);
            }
            if (data.length > budget) {
                throw tooLarge();
            }
            return new Content(name, data);
        };
    }

    /** The whole file, unless it has more than {@code budget} bytes (/dev/zero has no end). */
    static byte[] readAtMost(Path file, long budget) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] data = in.readNBytes((int) Math.min(budget + 1, Integer.MAX_VALUE - 8));
            if (data.length > budget) {
                throw tooLarge();
            }
            return data;
        }
    }

    /** The message for a configuration past {@link Limits#MAX_CONFIG_BYTES}. */
    String TOO_LARGE = "the configuration is larger than " + Limits.MAX_CONFIG_BYTES / (1024 * 1024)
            + " MiB, includes and macro expansions included";

    private static IOException tooLarge() {
        return new IOException(TOO_LARGE);
    }
}

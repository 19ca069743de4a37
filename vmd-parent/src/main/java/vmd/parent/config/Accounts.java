package vmd.parent.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * User and group name lookups for {@code owner}, {@code socket owner} and
 * {@code user} (OpenBSD: getpwnam/getgrnam). The default reads
 * {@code /etc/passwd} and {@code /etc/group}; the parent may supply an NSS-backed
 * one, and tests a fixed table.
 */
public interface Accounts {

    OptionalInt uid(String user);

    OptionalInt gid(String group);

    static Accounts system() {
        return files(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /** Lookups in passwd(5)- and group(5)-format files, read on every call. */
    static Accounts files(Path passwd, Path group) {
        return new Accounts() {
            @Override
            public OptionalInt uid(String user) {
                return lookup(passwd, user);
            }

            @Override
            public OptionalInt gid(String name) {
                return lookup(group, name);
            }
        };
    }

    private static OptionalInt lookup(Path file, String name) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        for (String line : lines) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[0].equals(name)) {
                try {
                    return OptionalInt.of(Integer.parseInt(f[2]));
                } catch (NumberFormatException e) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }
}

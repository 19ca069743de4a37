package vmd.parent.config;

import java.util.Objects;

/** {@code disk "path" [format raw|qcow2]}; the path is resolved (realpath) by the parser. */
public record DiskConfig(String path, DiskFormat format) {
    public DiskConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
    }
}

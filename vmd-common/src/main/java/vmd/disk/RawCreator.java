package vmd.disk;

import java.io.IOException;
import java.nio.file.Path;

/** Creates raw images: sparse files of the requested size. */
public final class RawCreator {
    private RawCreator() {}

    public static void create(Path path, long size) throws IOException {
        if (size < 0) throw new IllegalArgumentException("negative size " + size);
        try (ImageFile f = ImageFile.create(path)) {
            f.setSize(size);
            f.sync();
        }
    }
}

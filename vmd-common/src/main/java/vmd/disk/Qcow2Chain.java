package vmd.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Backing chains. The parent, which may open paths, lists a chain with {@link #backingPaths}
 * (resolving each backing file name next to the image that names it, as QEMU and vmd do) and
 * opens every layer; the device process, which may not, stacks the already-open files with
 * {@link #open(List, List, boolean)}.
 */
public final class Qcow2Chain {
    /** Backing files below the top image, at most. */
    public static final int MAX_DEPTH = 16;

    /** One layer of a chain: where it is and how to read it. */
    public record Layer(Path path, ImageFormat format) { }

    private Qcow2Chain() {}

    /**
     * The chain of {@code image}, top first (the image itself included), with each layer's
     * format: the top's detected from its content, the others' from the backing-format header
     * extension of the layer above, else detected.
     */
    public static List<Layer> backingPaths(Path image) throws IOException {
        ImageFormat top;
        try (ImageFile f = ImageFile.open(image, false)) {
            top = ImageFormat.detect(f);
        }
        return backingPaths(image, top);
    }

    /** As {@link #backingPaths(Path)} with the top's format given (e.g. from vm.conf). */
    public static List<Layer> backingPaths(Path image, ImageFormat topFormat) throws IOException {
        List<Layer> chain = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        Path path = image;
        ImageFormat format = topFormat;
        seen.add(realPath(image.toString(), image));
        for (;;) {
            chain.add(new Layer(path, format));
            if (format == ImageFormat.RAW) return chain;
            Qcow2Header h;
            try (ImageFile f = ImageFile.open(path, false)) {
                h = Qcow2Header.read(f);
            }
            if (h.backingFile == null) return chain;
            if (chain.size() > MAX_DEPTH) throw new DiskFormatException(image.toString(), "backing chain deeper than " + MAX_DEPTH);
            Path next = resolve(path, h.backingFile);
            Path real = realPath(path.toString(), next);
            if (!seen.add(real)) throw new DiskFormatException(path.toString(), "backing chain loops at " + next);
            ImageFormat nextFormat;
            if (h.backingFormat != null) {
                try {
                    nextFormat = ImageFormat.parse(h.backingFormat);
                } catch (IllegalArgumentException e) {
                    throw new DiskFormatException(path.toString(), "backing file " + next + " has unsupported format " + h.backingFormat);
                }
            } else {
                try (ImageFile f = ImageFile.open(next, false)) {
                    nextFormat = ImageFormat.detect(f);
                }
            }
            path = next;
            format = nextFormat;
        }
    }

    private static Path realPath(String referrer, Path p) throws IOException {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new DiskFormatException(referrer, "backing file " + p + " cannot be opened: " + e, e);
        }
    }

    /**
     * Where a backing file name points: absolute names as they are, relative ones next to the
     * image that names them. Protocol names ("nbd:...", "json:{...}") are refused.
     */
    public static Path resolve(Path image, String backingName) throws DiskFormatException {
        int colon = backingName.indexOf(':');
        int slash = backingName.indexOf('/');
        if (colon > 0 && (slash < 0 || colon < slash))
            throw new DiskFormatException(image.toString(), "backing file " + backingName + " uses a protocol, which is not supported");
        Path b = Path.of(backingName);
        if (b.isAbsolute()) return b;
        Path dir = image.toAbsolutePath().getParent();
        return dir == null ? b : dir.resolve(b);
    }

    /**
     * Stacks open layers (top first) into one disk. Layers below the top are opened read-only;
     * a raw layer must be the bottom. On failure every file is closed.
     */
    public static Disk open(List<ImageFile> files, List<ImageFormat> formats, boolean readOnly) throws IOException {
        return stack(files, formats, readOnly, true);
    }

    /**
     * Stacks the same open layers again, reading every header and table anew (another
     * process may have written the image since): on failure nothing is closed, so the
     * disk stacked before stays usable.
     */
    public static Disk reopen(List<ImageFile> files, List<ImageFormat> formats, boolean readOnly) throws IOException {
        return stack(files, formats, readOnly, false);
    }

    private static Disk stack(List<ImageFile> files, List<ImageFormat> formats, boolean readOnly, boolean closeOnFailure)
            throws IOException {
        if (files.isEmpty() || files.size() != formats.size()) throw new IllegalArgumentException("layers and formats differ");
        if (files.size() > MAX_DEPTH + 1)
            throw new DiskFormatException(files.get(0).name(), "backing chain deeper than " + MAX_DEPTH);
        Disk below = null;
        int i = files.size() - 1;
        try {
            for (; i >= 0; i--) {
                ImageFile f = files.get(i);
                boolean ro = readOnly || i > 0;
                if (formats.get(i) == ImageFormat.RAW) {
                    if (below != null) throw new DiskFormatException(f.name(), "a raw image cannot have a backing file");
                    below = RawDisk.open(f, ro);
                } else {
                    below = Qcow2Disk.open(f, below, ro);
                }
            }
            return below;
        } catch (IOException | RuntimeException e) {
            if (!closeOnFailure) throw e;
            if (below != null) {
                try { below.close(); } catch (IOException suppressed) { if (suppressed != e) e.addSuppressed(suppressed); }
            }
            for (; i >= 0; i--) {
                try { files.get(i).close(); } catch (IOException suppressed) { if (suppressed != e) e.addSuppressed(suppressed); }
            }
            throw e;
        }
    }

    /** Opens the whole chain of {@code image} by path (the parent, vmctl, tests). */
    public static Disk open(Path image, boolean readOnly) throws IOException {
        List<Layer> layers = backingPaths(image);
        List<ImageFile> files = new ArrayList<>();
        List<ImageFormat> formats = new ArrayList<>();
        try {
            for (int i = 0; i < layers.size(); i++) {
                files.add(ImageFile.open(layers.get(i).path(), i == 0 && !readOnly));
                formats.add(layers.get(i).format());
            }
        } catch (IOException e) {
            for (ImageFile f : files) f.close();
            throw e;
        }
        return open(files, formats, readOnly);
    }
}

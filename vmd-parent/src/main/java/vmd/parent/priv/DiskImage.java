package vmd.parent.priv;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vmd.parent.config.DiskFormat;
import vmd.sys.Fds;
import vmd.sys.NativeException;
import vmd.disk.ImageFormat;
import vmd.disk.Qcow2Chain;

/**
 * A disk image and its backing chain, opened by the parent for a vioblk process: the top
 * layer read-write (unless the disk is read-only), backing layers read-only. Backing file
 * names are resolved next to the image that names them, as QEMU and vmd do; loops, chains
 * deeper than 16 and corrupt headers fail here, naming the file, before the VM starts.
 */
public final class DiskImage implements AutoCloseable {
    private final List<Integer> fds = new ArrayList<>();
    private final List<String> formats = new ArrayList<>();

    private DiskImage() {}

    public static DiskImage open(String path, DiskFormat format, boolean readOnly) {
        DiskImage d = new DiskImage();
        try {
            // The top image first, so that a missing one is said as such, not as a backing file.
            try {
                Fds.close(Fds.open(path, Fds.O_RDONLY));
            } catch (NativeException e) {
                throw new IllegalArgumentException("disk " + path + ": " + NativeException.describe(e.errno()), e);
            }
            ImageFormat top = switch (format) {
                case RAW -> ImageFormat.RAW;
                case QCOW2 -> ImageFormat.QCOW2;
                default -> null; // detected from the magic
            };
            List<Qcow2Chain.Layer> layers = top == null ? Qcow2Chain.backingPaths(Path.of(path))
                    : Qcow2Chain.backingPaths(Path.of(path), top);
            if (top == null && layers.size() > 1 && !path.endsWith(".qcow2")) {
                // A guest can write a qcow2 header into its raw disk; probing must not let it name
                // a host file as its backing image. Overlays need a declared (or evident) format.
                throw new IllegalArgumentException("disk " + path + ": detected as qcow2 with a backing file; "
                        + "declare it with \"format qcow2\" (or name it *.qcow2) to use backing files");
            }
            for (int i = 0; i < layers.size(); i++) {
                Qcow2Chain.Layer layer = layers.get(i);
                boolean writable = i == 0 && !readOnly;
                try {
                    d.fds.add(Fds.open(layer.path().toString(), writable ? Fds.O_RDWR : Fds.O_RDONLY));
                } catch (NativeException e) {
                    throw new IllegalArgumentException("disk " + layer.path() + ": " + NativeException.describe(e.errno()), e);
                }
                d.formats.add(layer.format().label());
            }
            return d;
        } catch (IOException e) {
            d.close();
            throw new IllegalArgumentException("disk " + path + ": " + reason(e, path), e);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** Why the chain could not be read, without repeating the image's name ("disk /a.img: ENOENT (...)"). */
    private static String reason(IOException e, String path) {
        if (e.getCause() instanceof NativeException n) return NativeException.describe(n.errno());
        String m = String.valueOf(e.getMessage());
        return m.startsWith(path + ": ") ? m.substring(path.length() + 2) : m;
    }

    /** Descriptors, top layer first. */
    public List<Integer> fds() {
        return List.copyOf(fds);
    }

    public List<String> formats() {
        return List.copyOf(formats);
    }

    @Override
    public void close() {
        for (int fd : fds) Fds.closeQuietly(fd);
        fds.clear();
    }
}

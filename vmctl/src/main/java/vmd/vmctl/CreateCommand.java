package vmd.vmctl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;

/**
 * {@code vmctl create [-b base | -i disk] [-s size] [raw:|qcow2:]disk}: raw images only so far
 * (a sparse file of the given size, or a sparse copy of a raw {@code -i} input). The format
 * comes from a "raw:"/"qcow2:" prefix or the ".qcow2" extension, as OpenBSD's parse_disktype.
 */
final class CreateCommand implements Command {
    static final String QCOW2_MAGIC = "QFI\u00fb";

    @Override
    public String name() {
        return "create";
    }

    @Override
    public String usage() {
        return "[-b base | -i disk] [-s size] disk";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        Args a = Args.parse("b:i:s:", argv);
        if (a.operands.size() != 1) throw new UsageException("");
        String spec = a.operands.get(0);
        boolean qcow2;
        String disk;
        if (spec.startsWith("raw:")) {
            qcow2 = false;
            disk = spec.substring(4);
        } else if (spec.startsWith("qcow2:")) {
            qcow2 = true;
            disk = spec.substring(6);
        } else {
            disk = spec;
            qcow2 = spec.toLowerCase(Locale.ROOT).endsWith(".qcow2");
        }
        String base = null, input = null;
        long size = 0;
        for (Args.Option o : a.options) {
            switch (o.letter()) {
                case 'b' -> base = o.value();
                case 'i' -> input = o.value();
                case 's' -> size = StartCommand.size(ctl, o.value(), "invalid size: " + o.value());
                default -> throw new UsageException("");
            }
        }
        if (base != null && input != null) throw new VmctlException("conflicting -b and -i arguments");
        if (base != null && !qcow2) throw new VmctlException("base images require qcow2 disk format");
        if (qcow2) throw new VmctlException("qcow2 not supported yet");
        if (input != null) return convert(ctl, Path.of(input), Path.of(disk), size);
        if (size == 0) throw new UsageException("could not create " + disk + ": missing size argument");
        createRaw(Path.of(disk), size);
        ctl.warn("raw imagefile created");
        return 0;
    }

    /** A new sparse raw image; refuses to overwrite (O_EXCL, as virtio_raw_create). */
    static void createRaw(Path disk, long size) {
        try (FileChannel ch = FileChannel.open(disk, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            if (size > 0) ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        } catch (FileAlreadyExistsException e) {
            throw new VmctlException("create imagefile operation failed: File exists");
        } catch (IOException e) {
            throw new VmctlException("create imagefile operation failed: " + why(e));
        }
    }

    /** {@code -i}: copy a raw image into a new raw one, skipping zero blocks (so it stays sparse). */
    private static int convert(Vmctl ctl, Path src, Path dst, long size) {
        long srcSize;
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            in.read(magic, 0);
            if (new String(magic.array(), 0, magic.position(), java.nio.charset.StandardCharsets.ISO_8859_1).equals(QCOW2_MAGIC)) {
                throw new VmctlException("qcow2 not supported yet");
            }
            srcSize = in.size();
            if (size == 0) size = srcSize;
            if (size < srcSize) throw new VmctlException("size cannot be smaller than input disk size");
            long aligned = (size + (1 << 20) - 1) / (1 << 20) * (1 << 20);
            createRaw(dst, aligned);
            try (FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                for (long off = 0; off < srcSize; off += buf.capacity()) {
                    buf.clear();
                    int n = in.read(buf, off);
                    if (n <= 0) break;
                    if (isZero(buf.array(), n)) continue;
                    buf.flip();
                    while (buf.hasRemaining()) out.write(buf, off + buf.position());
                }
            }
            if (aligned != size) ctl.warn("destination size rounded to " + aligned / (1 << 20) + " megabytes");
        } catch (NoSuchFileException e) {
            throw new VmctlException("failed to open source image file");
        } catch (IOException e) {
            throw new VmctlException("failed to write to destination: " + why(e));
        }
        ctl.warn("raw imagefile created");
        return 0;
    }

    private static boolean isZero(byte[] b, int n) {
        for (int i = 0; i < n; i++) if (b[i] != 0) return false;
        return true;
    }

    private static String why(IOException e) {
        if (e instanceof NoSuchFileException) return "No such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException) return "Permission denied";
        return e.getMessage();
    }
}

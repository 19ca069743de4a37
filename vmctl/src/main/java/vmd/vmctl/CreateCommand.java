package vmd.vmctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import vmd.disk.Disk;
import vmd.disk.ImageConverter;
import vmd.disk.ImageFormat;
import vmd.disk.Qcow2Chain;
import vmd.disk.Qcow2Creator;
import vmd.disk.RawCreator;

/**
 * {@code vmctl create [-b base | -i disk] [-s size] [raw:|qcow2:]disk}: a sparse raw file, a
 * qcow2 v3 image, a qcow2 overlay on {@code base}, or a conversion of {@code disk} (raw or
 * qcow2, with its backing chain). The format comes from a "raw:"/"qcow2:" prefix or the
 * ".qcow2" extension, as OpenBSD's parse_disktype. The images come from the vioblk disk
 * layer, the same code that serves them to guests; it refuses to overwrite a file.
 */
final class CreateCommand implements Command {
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
        if (base == null && input == null && size == 0) {
            throw new UsageException("could not create " + disk + ": missing size argument");
        }
        Path out = Path.of(disk);
        if (Files.exists(out)) throw new VmctlException("create imagefile operation failed: File exists");
        String kind = qcow2 ? "qcow2" : "raw";
        try {
            if (input != null) {
                try (Disk in = Qcow2Chain.open(Path.of(input), true)) {
                    ImageConverter.convert(in, out, qcow2 ? ImageFormat.QCOW2 : ImageFormat.RAW, size == 0 ? -1 : size);
                }
            } else if (base != null) {
                Qcow2Creator.createOverlay(out, base, size == 0 ? -1 : size);
            } else if (qcow2) {
                Qcow2Creator.create(out, size);
            } else {
                RawCreator.create(out, size);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new VmctlException("create imagefile operation failed: " + e.getMessage());
        }
        ctl.warn(kind + " imagefile created");
        return 0;
    }
}

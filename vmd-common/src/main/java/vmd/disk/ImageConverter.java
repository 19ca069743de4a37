package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** {@code vmctl create -i input}: copies any disk into a new raw or qcow2 image, sparsely. */
public final class ImageConverter {
    private static final int CHUNK = 1 << 20, GRAIN = 64 << 10;

    private ImageConverter() {}

    /**
     * Creates {@code output} in {@code format} with {@code size} bytes (negative: the input's
     * size; never less than the input's) and copies the input into it, leaving all-zero
     * 64 KiB pieces unwritten.
     */
    public static void convert(Disk input, Path output, ImageFormat format, long size) throws IOException {
        long outSize = Math.max(size, input.size());
        if (format == ImageFormat.QCOW2) Qcow2Creator.create(output, outSize);
        else RawCreator.create(output, outSize);
        Disk out = format == ImageFormat.QCOW2
                ? Qcow2Disk.open(ImageFile.open(output, true), null, false)
                : RawDisk.open(ImageFile.open(output, true), false);
        try (out) {
            copy(input, out);
            out.flush();
        }
    }

    /** Copies {@code input} to the start of {@code out}, skipping zero pieces. */
    public static void copy(Disk input, Disk out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        long n = input.size();
        for (long pos = 0; pos < n; pos += CHUNK) {
            int len = (int) Math.min(CHUNK, n - pos);
            buf.clear().limit(len);
            input.read(pos, buf);
            int runStart = -1;
            for (int g = 0; g <= len; g += GRAIN) {
                boolean zero = g == len || Zeros.isZero(buf.duplicate().position(g).limit(Math.min(len, g + GRAIN)));
                if (!zero && runStart < 0) runStart = g;
                if (zero && runStart >= 0) {
                    out.write(pos + runStart, buf.duplicate().position(runStart).limit(g));
                    runStart = -1;
                }
                if (g == len) break;
            }
            if (runStart >= 0) out.write(pos + runStart, buf.duplicate().position(runStart).limit(len));
        }
    }
}

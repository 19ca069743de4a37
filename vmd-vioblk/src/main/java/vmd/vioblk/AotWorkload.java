package vmd.vioblk;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import vmd.disk.Disk;
import vmd.disk.Qcow2Chain;
import vmd.disk.Qcow2Creator;
import vmd.disk.RawCreator;
import vmd.proc.AotTraining;

/**
 * The vioblk process's part of the AOT training ({@code vmd.proc.AotTraining}): a raw and
 * a qcow2 image opened, written, read and flushed as a disk's first requests do, and a
 * block device served through the vhost-user handshake.
 */
public final class AotWorkload {
    private AotWorkload() {}

    public static void train() throws Exception {
        Path dir = Files.createTempDirectory("vmd-aot");
        Path raw = dir.resolve("disk.raw"), qcow2 = dir.resolve("disk.qcow2");
        try {
            RawCreator.create(raw, 1 << 20);
            Qcow2Creator.create(qcow2, 1 << 20);
            for (Path image : new Path[] {raw, qcow2}) {
                Disk disk = Qcow2Chain.open(image, false);
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                disk.write(65536, b);
                b.clear();
                disk.read(65536, b);
                disk.flush();
                BlockDevice device = new BlockDevice("aot0", disk, 1, "aot");
                AotTraining.serveHandshake(device, "aot0");
                device.close();
            }
        } finally {
            Files.deleteIfExists(raw);
            Files.deleteIfExists(qcow2);
            Files.deleteIfExists(dir);
        }
    }
}

package vmd.vm.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.testing.Prerequisites;
import vmd.vhostuser.TestRing;
import vmd.vhostuser.UnixListener;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;
import vmd.vm.virtio.DeviceEvents;
import vmd.vm.virtio.QueueSetup;

/**
 * Our front-end driving a back-end nobody here wrote: qemu-storage-daemon's
 * vhost-user-blk export (libvhost-user). The test is the virtio-blk driver: it reads the
 * config space (capacity), then a sector, through the rings.
 */
class QemuStorageDaemonInteropTest {
    static final String QSD = "/usr/bin/qemu-storage-daemon";
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, HDR = 0x10000, DATA = 0x11000, STATUS = 0x12000;

    @TempDir
    Path dir;

    @Test
    void readsASectorFromQemuStorageDaemon() throws Exception {
        Prerequisites.requireTool(QSD);
        Path img = dir.resolve("disk.img");
        byte[] disk = new byte[1 << 20];
        for (int i = 0; i < disk.length; i++) disk[i] = (byte) (i * 7 + i / 512);
        Files.write(img, disk);
        Path sock = dir.resolve("qsd.sock");
        Process qsd = new ProcessBuilder(QSD, "--blockdev", "driver=file,node-name=file0,filename=" + img,
                "--export", "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=" + sock + ",writable=on")
                .redirectErrorStream(true).redirectOutput(dir.resolve("qsd.log").toFile()).start();
        GuestMemory mem = GuestMemory.create("vm", List.of(new MemoryRegion(0, 1 << 20, 0)));
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK), call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        VhostUserFrontendDevice dev = null;
        try {
            assertTrue(TestRing.eventually(10_000, () -> Files.exists(sock)), "qemu-storage-daemon socket");
            dev = new VhostUserFrontendDevice(mem, UnixListener.connect(sock, 10_000), // qsd listens after creating it
                    new VhostUserFrontendDevice.Options("qsd", VirtioIds.BLOCK, 1, 128, 60, 5000));
            List<String> resets = new ArrayList<>();
            dev.attach(new DeviceEvents() {
                @Override
                public void configChanged() {}

                @Override
                public void needsReset(String why) {
                    resets.add(why);
                }
            });
            byte[] cfg = new byte[8];
            dev.readConfig(0, cfg);
            assertEquals(disk.length / 512, ByteBuffer.wrap(cfg).order(ByteOrder.LITTLE_ENDIAN).getLong(), "capacity in sectors");
            long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) & dev.deviceFeatures();
            assertNotEquals(0, features, "VERSION_1 offered");
            dev.setDriverFeatures(features);
            dev.startQueue(new QueueSetup(0, 8, DESC, AVAIL, USED, kick, call, features, 0));

            TestRing r = new TestRing(mem, 8, DESC, AVAIL, USED);
            mem.putInt(HDR, 0); // VIRTIO_BLK_T_IN
            mem.putInt(HDR + 4, 0);
            mem.putLong(HDR + 8, 3); // sector 3
            mem.putByte(STATUS, (byte) 0xff);
            r.desc(0, HDR, 16, VirtQueue.DESC_F_NEXT, 1);
            r.desc(1, DATA, 512, VirtQueue.DESC_F_NEXT | VirtQueue.DESC_F_WRITE, 2);
            r.desc(2, STATUS, 1, VirtQueue.DESC_F_WRITE, 0);
            r.publish(0);
            Fds.eventfdSignal(kick);
            // libvhost-user may also signal the call eventfd when the ring starts: wait for the used entry.
            long deadline = System.currentTimeMillis() + 10_000;
            boolean interrupted = false;
            while (r.usedIdx() < 1 && System.currentTimeMillis() < deadline) interrupted |= TestRing.waitFor(call, 100);
            interrupted |= TestRing.waitFor(call, 100);
            assertTrue(interrupted, "interrupt from qemu-storage-daemon");
            assertEquals(1, r.usedIdx());
            assertEquals(0, mem.getByte(STATUS), "VIRTIO_BLK_S_OK");
            byte[] expected = new byte[512];
            System.arraycopy(disk, 3 * 512, expected, 0, 512);
            assertArrayEquals(expected, mem.read(DATA, 512));
            assertEquals(1, dev.stopQueue(0), "GET_VRING_BASE from libvhost-user");
            assertTrue(resets.isEmpty(), resets.toString());
        } finally {
            if (dev != null) dev.close();
            qsd.destroy();
            qsd.waitFor();
            Fds.closeQuietly(kick);
            Fds.closeQuietly(call);
            try {
                System.err.println(Files.readString(dir.resolve("qsd.log")));
            } catch (IOException ignored) {
                // no log
            }
        }
    }
}

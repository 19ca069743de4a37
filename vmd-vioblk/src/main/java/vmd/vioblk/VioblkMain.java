package vmd.vioblk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.VioblkParams;
import vmd.proc.ChildSession;
import vmd.sys.Seccomp;
import vmd.vhostuser.BackendCommandLine;
import vmd.vhostuser.BackendServer;
import vmd.vhostuser.VhostUserBackend;
import vmd.disk.Disk;
import vmd.disk.ImageFile;
import vmd.disk.ImageFormat;
import vmd.disk.Qcow2Chain;

/**
 * The vioblk process: a virtio-blk vhost-user back-end for one disk.
 *
 * <p>Under vmd it is a child: the image layers and the vhost-user socket arrive as
 * descriptors on fd 3 and it opens no paths. On its own it follows the vhost-user
 * back-end program conventions, for any front-end (QEMU, qemu-storage-daemon's peers):
 * {@code vmd-vioblk [--socket-path PATH | --fd N] [--print-capabilities] [--read-only]
 * [--serial S] [--queues N] [--blk-file] IMAGE} (the image by --blk-file or as the operand), installed as a launcher with a
 * vhost-user JSON descriptor (vmd-vioblk(8)).
 */
public final class VioblkMain {
    private static final Logger log = LoggerFactory.getLogger(VioblkMain.class);
    private static final int SYS_SOCKET = 41;

    public static void main(String[] args) throws Exception {
        if (args.length == 0 && System.getenv(vmd.proc.ChildLauncher.ENV_PARENT_PID) != null) {
            System.exit(runChild());
        }
        System.exit(runStandalone(args));
    }

    private static int runChild() throws InterruptedException, IOException {
        ChildSession session = ChildSession.begin("vioblk");
        VioblkParams p = session.config().decode(VioblkParams::decode);
        List<ImageFile> files = new ArrayList<>();
        List<ImageFormat> formats = new ArrayList<>();
        for (int i = 0; i < p.formats().size(); i++) {
            int fd = session.takeFd(VioblkParams.layerLabel(i));
            if (fd < 0) throw new IllegalStateException("no descriptor for image layer " + i);
            files.add(ImageFile.ofFd(fd, p.name() + (i == 0 ? "" : " (backing " + i + ")"), i == 0 && !p.readOnly()));
            formats.add(ImageFormat.parse(p.formats().get(i)));
        }
        int vhost = session.takeFd(VioblkParams.FD_VHOST_USER);
        if (vhost < 0) throw new IllegalStateException("no vhost-user socket from the parent");
        Disk disk = Qcow2Chain.open(files, formats, p.readOnly());
        // read anew when the rings start: a live migration's source may have written it meanwhile
        BlockDevice device = new BlockDevice(p.name(), disk, () -> Qcow2Chain.reopen(files, formats, p.readOnly()), p.queues(),
                p.serial());
        session.serveStats(device::stats);
        Seccomp.lockDown(SYS_SOCKET); // before the first guest byte: no programs, no processes, no sockets
        log.info("{}: {} bytes{}, {} queue(s)", p.name(), disk.size(), p.readOnly() ? ", read-only" : "", p.queues());
        new VhostUserBackend(device, p.name()).serve(vhost);
        device.close(); // the vm process went away: flush and exit
        return 0;
    }

    static final String USAGE = "usage: vmd-vioblk [--socket-path PATH | --fd N] [--print-capabilities] [--read-only]"
            + " [--serial S] [--queues N] [--blk-file] IMAGE";
    /** What --print-capabilities lists: the block options of vhost-user.json that this program takes. */
    static final List<String> CAPABILITIES = List.of("read-only", "blk-file");

    private static int runStandalone(String[] args) throws IOException {
        BackendCommandLine cmd;
        boolean readOnly = false;
        String serial = "vmd";
        int queues = 1;
        String image = null;
        try {
            cmd = BackendCommandLine.parse(args);
            for (BackendCommandLine.Option o : cmd.options(Set.of("--serial", "--queues", "--blk-file"), Set.of("--read-only"))) {
                if (o.name() == null || o.name().equals("--blk-file")) {
                    if (image != null) throw new IllegalArgumentException("more than one image: " + image + ", " + o.value());
                    image = o.value();
                    continue;
                }
                switch (o.name()) {
                    case "--read-only" -> readOnly = true;
                    case "--serial" -> serial = o.value();
                    default -> queues = queueCount(o.value());
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("vmd-vioblk: " + e.getMessage());
            System.err.println(USAGE);
            return 1;
        }
        if (cmd.printCapabilities()) return BackendServer.run(cmd, "block", CAPABILITIES, null, System.out);
        if (image == null) {
            System.err.println("vmd-vioblk: no image given");
            System.err.println(USAGE);
            return 1;
        }
        Disk disk;
        try {
            disk = Qcow2Chain.open(Path.of(image), readOnly);
        } catch (IOException e) {
            System.err.println("vmd-vioblk: " + e.getMessage()); // a missing, unreadable or broken image: say which, no trace
            return 1;
        }
        BlockDevice device = new BlockDevice(Path.of(image).getFileName().toString(), disk, queues, serial);
        int rc = BackendServer.run(cmd, "block", CAPABILITIES, new VhostUserBackend(device, "vioblk " + image), System.out);
        device.close();
        return rc;
    }

    private static int queueCount(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 16) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("--queues: not a queue count from 1 to 16: " + value);
    }

    private VioblkMain() {}
}

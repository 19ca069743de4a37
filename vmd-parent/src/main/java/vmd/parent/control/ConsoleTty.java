package vmd.parent.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.parent.config.Owner;
import vmd.parent.vms.Vm;

/**
 * Gives a VM's console tty to its owner, as OpenBSD's vm_opentty(): owned by the VM's
 * owner user (root if none), group tty with mode 0620, or the owner group with mode 0660
 * when vm.conf names one. So {@code vmctl console} works for the owner and nobody else.
 */
public final class ConsoleTty {
    private static final Logger log = LoggerFactory.getLogger(ConsoleTty.class);

    private ConsoleTty() {}

    public static void grant(Vm vm, Identities ids) {
        String path = vm.ttyPath();
        if (path == null) return;
        Owner o = vm.config().owner();
        int uid = o.hasUid() ? o.uid() : 0;
        int gid;
        String mode;
        if (o.hasGid()) {
            gid = o.gid();
            mode = "rw-rw----";
        } else {
            gid = ids.gid("tty");
            if (gid < 0) gid = 0;
            mode = "rw--w----";
        }
        try {
            Path p = Path.of(path);
            Files.setAttribute(p, "unix:uid", uid);
            Files.setAttribute(p, "unix:gid", gid);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        } catch (IOException | RuntimeException e) {
            log.warn("{}: cannot give console {} to uid {}: {}", vm.name(), path, uid, e.toString());
        }
    }
}

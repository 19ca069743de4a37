package vmd.parent.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vmd.parent.config.Caller;

/**
 * Whether a vmctl user could open a file themselves: the parent opens images as root, so
 * before it does so for someone else (ad-hoc VMs, {@code allow instance} disks) it checks
 * the caller's own rights, as OpenBSD's vmd does — search permission on every directory on
 * the way and read (and for disks write) permission on the file, by the mode bits.
 */
final class FileAccess {
    private static final int R = 4, W = 2, X = 1;

    private FileAccess() {}

    static boolean permits(Path realPath, Caller caller, boolean write) throws IOException {
        if (caller.isRoot()) return true;
        for (Path dir = realPath.getParent(); dir != null; dir = dir.getParent()) {
            if (!allowed(dir, caller, X)) return false;
        }
        return allowed(realPath, caller, write ? R | W : R);
    }

    private static boolean allowed(Path p, Caller caller, int want) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode");
        int uid = (Integer) Files.getAttribute(p, "unix:uid");
        int gid = (Integer) Files.getAttribute(p, "unix:gid");
        int bits;
        if (uid == caller.uid()) bits = (mode >> 6) & 7;
        else if (caller.groups().contains(gid)) bits = (mode >> 3) & 7;
        else bits = mode & 7;
        return (bits & want) == want;
    }
}

package vmd.parent.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import vmd.parent.config.Caller;

/**
 * uid and gid to names and group memberships, from /etc/passwd and /etc/group (read on every
 * call: a user added while vmd runs is seen at once).
 */
public final class Identities {
    private final Path passwd;
    private final Path group;

    public Identities(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    public static Identities system() {
        return new Identities(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /** The caller with {@code uid}: its primary group from SO_PEERCRED and every group listing its name. */
    public Caller caller(int uid, int gid) {
        Set<Integer> groups = new HashSet<>();
        if (gid >= 0) groups.add(gid);
        String user = userName(uid);
        if (user != null) {
            for (String line : lines(group)) {
                String[] f = line.split(":", -1);
                if (f.length < 4) continue;
                for (String member : f[3].split(",")) {
                    if (member.equals(user)) {
                        try {
                            groups.add(Integer.parseInt(f[2]));
                        } catch (NumberFormatException ignored) {
                            // a malformed line names no group
                        }
                    }
                }
            }
        }
        return new Caller(uid, groups);
    }

    public String userName(int uid) {
        return nameOf(passwd, uid);
    }

    public String groupName(int gid) {
        return nameOf(group, gid);
    }

    /** The gid of {@code name}, or -1. */
    public int gid(String name) {
        for (String line : lines(group)) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[0].equals(name)) {
                try {
                    return Integer.parseInt(f[2]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * A VM's owner as vmctl status prints it (OpenBSD: user name, or the uid; then
     * ":group" when a group is set), at most 15 characters like OpenBSD's user[16].
     */
    public String ownerText(int uid, int gid) {
        int u = uid < 0 ? 0 : uid;
        String user = userName(u);
        String s = user != null ? user : Integer.toString(u);
        if (gid >= 0) {
            String g = groupName(gid);
            s += ":" + (g != null ? g : Integer.toString(gid));
        }
        return s.length() > 15 ? s.substring(0, 15) : s;
    }

    private static String nameOf(Path file, int id) {
        String want = Integer.toString(id);
        for (String line : lines(file)) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[2].equals(want)) return f[0];
        }
        return null;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }
}

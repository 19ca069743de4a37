package vmd.parent.config;

/**
 * An owner as written in vm.conf: {@code user}, {@code user:group}, {@code :group}
 * or a numeric uid. Names are resolved to ids when the file is read (as
 * OpenBSD does with getpwnam/getgrnam). {@code -1} means "not set".
 *
 * @param uid   user id, or -1
 * @param user  user name as written (or the number), or null
 * @param gid   group id, or -1
 * @param group group name as written, or null
 */
public record Owner(int uid, String user, int gid, String group) {

    public static final Owner NONE = new Owner(-1, null, -1, null);

    public boolean hasUid() {
        return uid >= 0;
    }

    public boolean hasGid() {
        return gid >= 0;
    }

    public boolean isSet() {
        return hasUid() || hasGid();
    }

    public Owner withUid(int newUid, String newUser) {
        return new Owner(newUid, newUser, gid, group);
    }

    public Owner withGid(int newGid, String newGroup) {
        return new Owner(uid, user, newGid, newGroup);
    }

    @Override
    public String toString() {
        String u = hasUid() ? (user != null ? user : Integer.toString(uid)) : "";
        String g = hasGid() ? ":" + (group != null ? group : Integer.toString(gid)) : "";
        return u + g;
    }
}

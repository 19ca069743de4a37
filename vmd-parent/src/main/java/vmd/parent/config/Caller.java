package vmd.parent.config;

import java.util.Set;

/** Who asks for an instance: a uid and every group it is in (primary and supplementary). */
public record Caller(int uid, Set<Integer> groups) {

    public static final Caller ROOT = new Caller(0, Set.of(0));

    public Caller {
        groups = Set.copyOf(groups);
    }

    public boolean isRoot() {
        return uid == 0;
    }

    /** OpenBSD's vm_checkperm(NULL, owner, uid). */
    public boolean isOwner(Owner owner) {
        if (isRoot()) {
            return true;
        }
        if (owner.hasUid() && owner.uid() == uid) {
            return true;
        }
        return owner.hasGid() && groups.contains(owner.gid());
    }
}

package vmd.parent.config;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * {@code allow instance { ... }}: which options a non-root user may set on an
 * instance of this VM, and who (besides root) may create instances at all.
 */
public record AllowInstance(Set<InstanceFlag> flags, Owner owner) {

    public static final AllowInstance NONE = new AllowInstance(Set.of(), Owner.NONE);

    public AllowInstance {
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        Objects.requireNonNull(owner, "owner");
    }

    public boolean allows(InstanceFlag flag) {
        return flags.contains(flag);
    }

    public boolean isEmpty() {
        return flags.isEmpty() && !owner.isSet();
    }
}

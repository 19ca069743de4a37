package vmd.parent.config;

/**
 * One VM network interface: {@code [local] interface [name] [{ options }]}.
 *
 * @param local     {@code local interface}: vmd gives it a /31 from {@code local prefix}
 *                  and answers DHCP itself
 * @param name      host-side tap name, or null for "the next free one" (OpenBSD's
 *                  {@code tap})
 * @param switchName {@code switch "name"}, or null; a name that matches no enabled
 *                  switch is ignored (vm.conf(5))
 * @param lladdr    guest MAC address, or null for a random one
 * @param locked    {@code locked lladdr}: drop frames with another source MAC
 * @param group     {@code group name}, or null
 * @param rdomain   {@code rdomain N}, or -1
 * @param up        {@code up} (default) or {@code down}
 */
public record InterfaceConfig(boolean local, String name, String switchName, MacAddress lladdr,
        boolean locked, String group, int rdomain, boolean up) {

    /** An interface added only by {@code interfaces N}. */
    public static final InterfaceConfig DEFAULT =
            new InterfaceConfig(false, null, null, null, false, null, -1, true);

    /**
     * This interface minus what belongs to one VM only (the tap name and the MAC
     * address), as an instance inherits it from its parent.
     */
    public InterfaceConfig withoutExclusive() {
        return new InterfaceConfig(local, null, switchName, null, locked, group, rdomain, up);
    }

    public boolean hasRdomain() {
        return rdomain >= 0;
    }
}

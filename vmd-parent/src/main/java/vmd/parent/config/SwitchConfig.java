package vmd.parent.config;

/**
 * {@code switch "name" { interface ifname; ... }}: a Linux bridge the VMs'
 * taps are attached to.
 *
 * @param name         the name VMs refer to
 * @param enabled      false for {@code disable}: the switch is not configured and
 *                     interfaces that name it are not attached (as OpenBSD, which
 *                     does not register a disabled switch)
 * @param ifname       the bridge interface (required)
 * @param group        {@code group name} given to each member interface, or null
 * @param lockedLladdr {@code locked lladdr}
 * @param rdomain      {@code rdomain N}, or -1
 * @param up           {@code up} (default) or {@code down}
 */
public record SwitchConfig(String name, boolean enabled, String ifname, String group,
        boolean lockedLladdr, int rdomain, boolean up) {

    public boolean hasRdomain() {
        return rdomain >= 0;
    }
}

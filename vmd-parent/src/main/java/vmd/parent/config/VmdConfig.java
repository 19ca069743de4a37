package vmd.parent.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole vm.conf: global settings, switches and VMs in file order.
 *
 * @param localPrefix    {@code local prefix} (default 100.64.0.0/10)
 * @param localInet6     {@code local inet6}: IPv6 on local interfaces
 * @param localPrefix6   {@code local inet6 prefix}, or null for a random ULA prefix
 * @param socketOwner    {@code socket owner} (default root:root, uid and gid always set)
 * @param staggeredStart {@code staggered start parallel N delay N}, or null for the
 *                       default (parallelism = online CPUs, delay 30 s)
 * @param agentx         {@code agentx [context c] [path p]}, or null (accepted; not supported on Linux)
 * @param user           unprivileged user for the child processes ({@code user}, Linux)
 * @param firmware       firmware image for VMs without {@code boot} ({@code firmware}, Linux),
 *                       resolved, or null for the packaged SeaBIOS
 * @param spareDevices   {@code spare devices} (Linux): keep a warm spare vioblk and vionet
 *                       process, so a crashed device restarts without a JVM start
 * @param deviceRestarts {@code device restarts N per S} (Linux): how often a crashed device
 *                       process is restarted, for every VM that sets none of its own
 * @param switches       every switch block, including disabled ones
 * @param vms            every VM that was declared without error, in order
 * @param metrics        {@code metrics socket} / {@code metrics listen} (Linux): where the
 *                       Prometheus metrics are served ({@link MetricsConfig#OFF} by default)
 */
public record VmdConfig(IpPrefix localPrefix, boolean localInet6, IpPrefix localPrefix6, Owner socketOwner,
        StaggeredStart staggeredStart, Agentx agentx, String user, String firmware, boolean spareDevices,
        DeviceRestarts deviceRestarts, List<SwitchConfig> switches, List<VmConfig> vms, MetricsConfig metrics) {

    /** {@code staggered start parallel N delay N}. */
    public record StaggeredStart(int parallelism, int delaySeconds) {
    }

    /** {@code agentx [context "c"] [path "/p"]}. */
    public record Agentx(String context, String path) {
    }

    public static final IpPrefix DEFAULT_LOCAL_PREFIX;

    static {
        try {
            DEFAULT_LOCAL_PREFIX = new IpPrefix(InetAddress.getByAddress(new byte[] {100, 64, 0, 0}), 10);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static final Owner DEFAULT_SOCKET_OWNER = new Owner(0, "root", 0, "root");

    public VmdConfig {
        Objects.requireNonNull(localPrefix, "localPrefix");
        Objects.requireNonNull(socketOwner, "socketOwner");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(deviceRestarts, "deviceRestarts");
        Objects.requireNonNull(metrics, "metrics");
        switches = List.copyOf(switches);
        vms = List.copyOf(vms);
    }

    public static VmdConfig empty() {
        return new VmdConfig(DEFAULT_LOCAL_PREFIX, false, null, DEFAULT_SOCKET_OWNER, null, null,
                Limits.DEFAULT_USER, null, false, DeviceRestarts.DEFAULT, List.of(), List.of(), MetricsConfig.OFF);
    }

    public Optional<VmConfig> vm(String name) {
        return vms.stream().filter(v -> v.name().equals(name)).findFirst();
    }

    /**
     * The switch an interface naming {@code name} is attached to: the first
     * enabled switch of that name, as OpenBSD's switch_getbyname() over the
     * registered (enabled) switches.
     */
    public Optional<SwitchConfig> findSwitch(String name) {
        return switches.stream().filter(s -> s.enabled() && s.name().equals(name)).findFirst();
    }
}

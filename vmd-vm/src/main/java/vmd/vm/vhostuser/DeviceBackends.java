package vmd.vm.vhostuser;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.virtio.VirtioIds;

/**
 * The vm process's side of device restarts (DESIGN.md section 5, crash isolation). Each
 * device served by a vmd device process is known by its label ("vioblk0", "vionet1"). When a
 * back-end is lost the device waits, recording what the driver does, for the parent to
 * restart the process: {@link #reconnect} replays the setup on the new socket. A network
 * device meanwhile shows its link down (config status, with a config-change interrupt),
 * so the guest's stack stops sending into a dead ring. If the parent gives up,
 * {@link #failed} leaves a network link down for good and marks any other device
 * DEVICE_NEEDS_RESET.
 */
public final class DeviceBackends {
    private static final Logger log = LoggerFactory.getLogger(DeviceBackends.class);
    /** virtio_net_config.status (after mac[6]) and its VIRTIO_NET_S_LINK_UP bit; VIRTIO_NET_F_STATUS. */
    static final int NET_STATUS_OFFSET = 6, NET_S_LINK_UP = 1, NET_F_STATUS = 16;

    private final Map<String, VhostUserFrontendDevice> byLabel = new LinkedHashMap<>();

    /** Takes charge of {@code device}'s back-end losses. */
    public synchronized void add(String label, VhostUserFrontendDevice device) {
        if (byLabel.putIfAbsent(label, device) != null) throw new IllegalArgumentException("duplicate device " + label);
        device.setLossHandler((d, why) -> {
            log.warn("{}: back-end lost ({}); waiting for the parent to restart it", label, why);
            if (isNet(d)) setLink(d, false);
        });
    }

    /** Every device, in the order added. */
    public synchronized java.util.List<VhostUserFrontendDevice> devices() {
        return java.util.List.copyOf(byLabel.values());
    }

    /** Connects {@code label} to its restarted back-end on {@code socketFd} (owned from now on). */
    public void reconnect(String label, int socketFd) {
        VhostUserFrontendDevice d = find(label);
        if (d == null) {
            Fds.closeQuietly(socketFd);
            log.warn("reconnect for unknown device {}", label);
            return;
        }
        try {
            d.reconnect(socketFd); // the new back-end's config (link up) replaces ours, with an interrupt
        } catch (RuntimeException e) {
            // The new process sees EOF and exits; the parent decides whether to try again.
            log.warn("{}: reconnecting failed: {}", label, e.getMessage());
        }
    }

    /** The parent will not restart {@code label}'s back-end. */
    public void failed(String label, String why) {
        VhostUserFrontendDevice d = find(label);
        if (d == null) return;
        log.warn("{}: back-end gone for good: {}", label, why);
        d.setLossHandler(null); // nothing will replay: a driver setting the device up again gets a refusal
        if (isNet(d)) setLink(d, false);
        else d.fail("device process gone: " + why);
    }

    private synchronized VhostUserFrontendDevice find(String label) {
        return byLabel.get(label);
    }

    static boolean isNet(VhostUserFrontendDevice d) {
        return d.deviceType() == VirtioIds.NET && (d.deviceFeatures() & (1L << NET_F_STATUS)) != 0;
    }

    static void setLink(VhostUserFrontendDevice d, boolean up) {
        byte[] status = new byte[2];
        d.readConfig(NET_STATUS_OFFSET, status);
        status[0] = (byte) (up ? status[0] | NET_S_LINK_UP : status[0] & ~NET_S_LINK_UP);
        d.overrideConfig(NET_STATUS_OFFSET, status);
    }
}

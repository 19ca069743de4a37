package vmd.vionet;

import java.util.List;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;

/**
 * One interface's {@link NetCounters} as metric samples: frames and bytes each way, and the
 * frames dropped by reason. rx is towards the guest (from the tap, or vionet's own DHCP and
 * router advertisements), tx from it.
 */
final class NetStats {
    private NetStats() {}

    static List<StatsSample> samples(NetCounters c) {
        return List.of(
                Metric.INTERFACE_RX_PACKETS.sample(c.rxFrames.get()),
                Metric.INTERFACE_RX_BYTES.sample(c.rxBytes.get()),
                Metric.INTERFACE_RX_DROPPED.sample(c.rxOversize.get(), "reason", "oversize"),
                Metric.INTERFACE_RX_DROPPED.sample(c.rxFiltered.get(), "reason", "filtered"),
                Metric.INTERFACE_RX_DROPPED.sample(c.rxErrors.get(), "reason", "error"),
                Metric.INTERFACE_TX_PACKETS.sample(c.txFrames.get()),
                Metric.INTERFACE_TX_BYTES.sample(c.txBytes.get()),
                Metric.INTERFACE_TX_DROPPED.sample(c.txMalformed.get(), "reason", "malformed"),
                Metric.INTERFACE_TX_DROPPED.sample(c.txFiltered.get(), "reason", "filtered"),
                Metric.INTERFACE_TX_DROPPED.sample(c.txErrors.get(), "reason", "error"));
    }
}

package vmd.vionet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vmd.imsg.StatsSample;
import vmd.metrics.Metric;

class NetStatsTest {
    @Test
    void countersBecomeSamplesWithDropsByReason() {
        NetCounters c = new NetCounters();
        c.rxFrames.set(10);
        c.rxBytes.set(1500);
        c.rxFiltered.set(2);
        c.txFrames.set(7);
        c.txBytes.set(700);
        c.txMalformed.set(1);
        c.txErrors.set(3);
        Map<String, Double> v = new HashMap<>();
        for (StatsSample s : NetStats.samples(c)) {
            assertTrue(Metric.acceptable(s, Metric.Source.VIONET), "a sample vionet may send: " + s);
            v.put(s.name() + (s.label("reason") == null ? "" : "/" + s.label("reason")), ((StatsSample.Value) s).value());
        }
        assertEquals(10.0, v.get("vmd_interface_rx_packets_total"));
        assertEquals(1500.0, v.get("vmd_interface_rx_bytes_total"));
        assertEquals(2.0, v.get("vmd_interface_rx_dropped_total/filtered"));
        assertEquals(0.0, v.get("vmd_interface_rx_dropped_total/oversize"));
        assertEquals(7.0, v.get("vmd_interface_tx_packets_total"));
        assertEquals(700.0, v.get("vmd_interface_tx_bytes_total"));
        assertEquals(1.0, v.get("vmd_interface_tx_dropped_total/malformed"));
        assertEquals(3.0, v.get("vmd_interface_tx_dropped_total/error"));
        assertEquals(10, v.size());
    }
}

package vmd.vionet;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** What a vionet device did and refused, for logs, status and tests. */
public final class NetCounters {
    public final AtomicLong rxFrames = new AtomicLong(), rxBytes = new AtomicLong();
    /** Frames from the tap that did not fit the guest's buffers. */
    public final AtomicLong rxOversize = new AtomicLong();
    /** Frames from the tap refused by {@code locked lladdr}. */
    public final AtomicLong rxFiltered = new AtomicLong();
    /** Times the guest had no receive buffers while frames waited. */
    public final AtomicLong rxNoBuffers = new AtomicLong();
    public final AtomicLong rxErrors = new AtomicLong();
    public final AtomicLong txFrames = new AtomicLong(), txBytes = new AtomicLong();
    /** Guest frames shorter than a header, longer than the negotiated size, or with a bad header. */
    public final AtomicLong txMalformed = new AtomicLong();
    /** Guest frames refused by {@code locked lladdr}. */
    public final AtomicLong txFiltered = new AtomicLong();
    /** Writes the tap refused (interface down, full, invalid). */
    public final AtomicLong txErrors = new AtomicLong();
    public final AtomicLong dhcpReplies = new AtomicLong(), dhcpAcks = new AtomicLong();
    /** Router advertisements answering the guest (local inet6). */
    public final AtomicLong raReplies = new AtomicLong();
    /** Periodic router advertisements nobody asked for (local inet6). */
    public final AtomicLong raUnsolicited = new AtomicLong();
    /** Frames received and transmitted per queue pair (index = pair). */
    public final AtomicLongArray pairRxFrames, pairTxFrames;
    /** Control queue commands answered OK and ERR. */
    public final AtomicLong ctrlOk = new AtomicLong(), ctrlErr = new AtomicLong();
    /** The most queue pairs served at once. */
    public final java.util.concurrent.atomic.AtomicInteger mostPairsActive = new java.util.concurrent.atomic.AtomicInteger();

    public NetCounters() {
        this(1);
    }

    public NetCounters(int pairs) {
        pairRxFrames = new AtomicLongArray(pairs);
        pairTxFrames = new AtomicLongArray(pairs);
    }

    /** How many pairs carried frames (either way). */
    public int pairsUsed() {
        int n = 0;
        for (int i = 0; i < pairRxFrames.length(); i++) if (pairRxFrames.get(i) + pairTxFrames.get(i) > 0) n++;
        return n;
    }

    @Override
    public String toString() {
        return "rx " + rxFrames + " frames " + rxBytes + " bytes (oversize " + rxOversize + ", filtered " + rxFiltered
                + ", no buffers " + rxNoBuffers + ", errors " + rxErrors + "), tx " + txFrames + " frames " + txBytes
                + " bytes (malformed " + txMalformed + ", filtered " + txFiltered + ", errors " + txErrors + "), dhcp "
                + dhcpReplies + ", ra " + raReplies + "+" + raUnsolicited
                + (pairRxFrames.length() > 1 ? ", per pair rx " + pairRxFrames + " tx " + pairTxFrames
                + ", control ok " + ctrlOk + " err " + ctrlErr + ", at most " + mostPairsActive + " pairs active" : "");
    }
}

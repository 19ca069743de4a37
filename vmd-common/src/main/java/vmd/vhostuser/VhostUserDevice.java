package vmd.vhostuser;

/**
 * The device behind a {@link VhostUserBackend}: what vioblk and vionet implement. The
 * back-end owns the protocol (ownership, feature and protocol-feature negotiation, the
 * memory table, ring setup, address translation, descriptors) and calls these methods
 * from its connection thread, one at a time.
 *
 * <p>Serving a ring is the device's business (typically one thread per ring, see
 * {@link VringWorker}); the device must never let an exception reach a ring thread's top.
 */
public interface VhostUserDevice {
    /**
     * The virtio feature bits offered (VERSION_1, ring features, device bits). The back-end
     * adds VHOST_USER_F_PROTOCOL_FEATURES itself.
     */
    long features();

    /** How many rings the device has: ring indexes run from 0 to queueCount() - 1. */
    int queueCount();

    /**
     * The answer to GET_QUEUE_NUM. Front-ends read it per device type: rings for most, but
     * queue pairs for net (QEMU's net/vhost-user.c compares it with {@code queues=}, DPDK
     * answers pairs), so a net device with a control queue answers less than queueCount().
     */
    default int queueNum() {
        return queueCount();
    }

    /** The largest ring size accepted in SET_VRING_NUM (a power of 2, at most 32768). */
    int maxQueueSize();

    /** The device configuration space as it is now (GET_CONFIG); may be empty. */
    byte[] config();

    /**
     * A SET_CONFIG write. {@code migration} is set for the live-migration flavour that may
     * touch read-only fields. Return false to refuse (the front-end gets a failure ack).
     */
    default boolean writeConfig(int offset, byte[] data, boolean migration) {
        return false;
    }

    /** The features the front-end acked (without VHOST_USER_F_PROTOCOL_FEATURES); before any ring starts. */
    default void setFeatures(long features) {}

    /** Starts serving a ring. Throwing refuses it (the ring stays stopped, the front-end is told). */
    void startQueue(Vring vring);

    /**
     * Stops serving ring {@code index}. When this returns the device no longer touches the
     * ring's memory or descriptors; the back-end reads the ring's next avail index from its
     * VirtQueue for GET_VRING_BASE.
     */
    void stopQueue(int index);

    /** Back to the initial state (RESET_DEVICE, or the front-end went away). Rings are already stopped. */
    default void reset() {}
}

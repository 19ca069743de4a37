package vmd.vm.virtio;

/**
 * The device behind a {@link VirtioPciTransport}, in the terms of the vhost-user
 * protocol so that a vhost-user frontend can implement it by forwarding each call to a
 * device process: {@code deviceFeatures} is GET_FEATURES, {@code setDriverFeatures}
 * SET_FEATURES, {@code readConfig}/{@code writeConfig} GET_CONFIG/SET_CONFIG,
 * {@code startQueue} SET_VRING_NUM + SET_VRING_ADDR + SET_VRING_BASE + SET_VRING_KICK +
 * SET_VRING_CALL + SET_VRING_ENABLE, {@code stopQueue} GET_VRING_BASE, {@code reset}
 * RESET_DEVICE (or stopping every ring). The other implementation is an in-process
 * device ({@link VirtioRng}).
 *
 * <p>The transport owns PCI, the common configuration, MSI-X and the eventfds. The
 * device only ever reads its kick eventfd and writes its call eventfd; when it has
 * changed its configuration, or found the driver's rings unusable, it tells the
 * transport through {@link DeviceEvents}, from any thread.
 *
 * <p>The transport calls these methods one at a time (under its lock); they must not
 * call back into the transport synchronously except through {@link DeviceEvents}.
 */
public interface VirtioDevice extends AutoCloseable {
    /** The virtio device type (vmd.virtio.VirtioIds). */
    int deviceType();

    /** Feature bits the device offers, VERSION_1 included. */
    long deviceFeatures();

    int queueCount();

    /** The largest queue size the device supports for {@code queue} (a power of 2, at most 32768). */
    int maxQueueSize(int queue);

    /** Bytes of device-specific configuration space. */
    int configSize();

    /** Reads {@code data.length} bytes of device configuration at {@code offset} (within configSize). */
    void readConfig(int offset, byte[] data);

    /** Writes device configuration (within configSize). */
    void writeConfig(int offset, byte[] data);

    /** Called once, before anything else, with the callbacks for this device's transport. */
    void attach(DeviceEvents events);

    /** The features the driver accepted (a subset of deviceFeatures, VERSION_1 set), at FEATURES_OK. */
    void setDriverFeatures(long features);

    /** Starts serving a queue the driver has set up (at DRIVER_OK, or when enabled after it). */
    void startQueue(QueueSetup setup);

    /**
     * Stops serving {@code queue} and returns the avail index the device would pop next
     * (vhost-user GET_VRING_BASE). Once this returns, the device no longer touches the
     * queue's rings or eventfds.
     */
    int stopQueue(int queue);

    /** Back to the initial state; the transport has stopped every started queue first. */
    void reset();

    @Override
    void close();
}

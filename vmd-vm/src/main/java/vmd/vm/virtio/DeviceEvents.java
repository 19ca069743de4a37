package vmd.vm.virtio;

/**
 * What a device tells its transport. Callable from any thread, never blocks, never
 * calls back into the device (the transport defers the work to its own thread).
 */
public interface DeviceEvents {
    /** The device configuration changed: bump config_generation and send a configuration interrupt. */
    void configChanged();

    /**
     * The device cannot go on (hostile rings, a dead backend): set DEVICE_NEEDS_RESET in
     * device_status and send a configuration interrupt, as virtio 1.2 section 2.1.2 says.
     */
    void needsReset(String why);
}

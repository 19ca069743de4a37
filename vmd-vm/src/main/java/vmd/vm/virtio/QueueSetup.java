package vmd.vm.virtio;

/**
 * Everything a device needs to serve one split virtqueue: what vhost-user sends as
 * SET_VRING_NUM, SET_VRING_ADDR (guest-physical here; a vhost-user frontend translates
 * to its own addresses), SET_VRING_BASE, SET_VRING_KICK and SET_VRING_CALL. The
 * descriptors belong to the transport: the device must not close them.
 *
 * @param features  the negotiated features (EVENT_IDX, INDIRECT_DESC ... decide ring handling)
 * @param nextAvail the avail index to start popping at (0 for a freshly set up queue)
 */
public record QueueSetup(int index, int size, long descAddress, long driverAddress, long deviceAddress,
                         int kickFd, int callFd, long features, int nextAvail) {}

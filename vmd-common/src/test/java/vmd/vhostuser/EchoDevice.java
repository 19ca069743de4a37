package vmd.vhostuser;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtioFeatures;

/**
 * A toy vhost-user device for tests: every ring echoes each chain's readable bytes into
 * its writable buffers, XORed with 0x20 (so "hello" comes back "HELLO"), and reports how
 * many bytes it wrote. With {@link #hold} set, chains are popped and never completed (a
 * request in flight when its back-end dies). Config space: 8 bytes, "ECHO" then a
 * writable u32.
 */
public final class EchoDevice implements VhostUserDevice {
    public static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1)
            | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX) | VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC) | 0x5;

    private final int queues;
    private final int maxQueueSize;
    private final byte[] config = {'E', 'C', 'H', 'O', 0, 0, 0, 0};
    private final ConcurrentHashMap<Integer, VringWorker> workers = new ConcurrentHashMap<>();
    public final List<Vring> startedRings = new CopyOnWriteArrayList<>();
    public final List<String> events = new CopyOnWriteArrayList<>();
    public volatile boolean hold;
    public volatile long ackedFeatures = -1;

    public EchoDevice(int queues, int maxQueueSize) {
        this.queues = queues;
        this.maxQueueSize = maxQueueSize;
    }

    @Override
    public long features() {
        return FEATURES;
    }

    @Override
    public int queueCount() {
        return queues;
    }

    @Override
    public int maxQueueSize() {
        return maxQueueSize;
    }

    @Override
    public synchronized byte[] config() {
        events.add("config");
        return config.clone();
    }

    @Override
    public synchronized boolean writeConfig(int offset, byte[] data, boolean migration) {
        if (offset < 4 || offset + data.length > 8) return false;
        System.arraycopy(data, 0, config, offset, data.length);
        events.add("config@" + offset);
        return true;
    }

    @Override
    public void setFeatures(long features) {
        ackedFeatures = features;
        events.add("features");
    }

    @Override
    public void startQueue(Vring vring) {
        startedRings.add(vring);
        events.add("start " + vring.index());
        workers.put(vring.index(), new VringWorker("echo", vring, this::serve).start());
    }

    private void serve(Vring vring) throws vmd.virtio.VirtQueueException {
        if (hold) {
            while (vring.queue().pop() != null) {
                // popped and never completed
            }
            return;
        }
        vring.processAvailable(EchoDevice::echo);
    }

    static int echo(DescriptorChain chain) {
        byte[] in = chain.readReadable(1 << 20);
        for (int i = 0; i < in.length; i++) in[i] ^= 0x20;
        return chain.writeWritable(0, ByteBuffer.wrap(in));
    }

    @Override
    public void stopQueue(int index) {
        events.add("stop " + index);
        VringWorker w = workers.remove(index);
        if (w != null) w.stop();
    }

    @Override
    public void reset() {
        events.add("reset");
        for (Integer i : new ArrayList<>(workers.keySet())) stopQueue(i);
    }
}

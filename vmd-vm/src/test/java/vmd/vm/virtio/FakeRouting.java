package vmd.vm.virtio;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Records what the transport asks of KVM. */
final class FakeRouting implements InterruptRouting {
    int nextGsi = 24;
    final Map<Integer, long[]> routes = new HashMap<>();
    final Map<Integer, Integer> irqfds = new HashMap<>();
    final Set<String> ioeventfds = new HashSet<>();
    final List<String> msis = new ArrayList<>();

    @Override
    public synchronized int allocateGsi() {
        return nextGsi++;
    }

    @Override
    public synchronized void releaseGsi(int gsi) {
        routes.remove(gsi);
    }

    @Override
    public synchronized void setMsiRoute(int gsi, long address, int data) {
        routes.put(gsi, new long[] {address, data});
    }

    @Override
    public synchronized void bindIrqfd(int eventfd, int gsi) {
        if (irqfds.putIfAbsent(eventfd, gsi) != null) throw new IllegalStateException("irqfd bound twice");
    }

    @Override
    public synchronized void unbindIrqfd(int eventfd, int gsi) {
        if (!irqfds.remove(eventfd, gsi)) throw new IllegalStateException("irqfd not bound");
    }

    @Override
    public synchronized void registerIoeventfd(int eventfd, long address, int length) {
        if (!ioeventfds.add(eventfd + "@" + Long.toHexString(address) + "/" + length)) throw new IllegalStateException("EEXIST");
    }

    @Override
    public synchronized void unregisterIoeventfd(int eventfd, long address, int length) {
        if (!ioeventfds.remove(eventfd + "@" + Long.toHexString(address) + "/" + length)) throw new IllegalStateException("ENOENT");
    }

    @Override
    public synchronized void signalMsi(long address, int data) {
        msis.add(Long.toHexString(address) + "/" + Integer.toHexString(data));
    }

    synchronized List<String> msis() {
        return new ArrayList<>(msis);
    }
}

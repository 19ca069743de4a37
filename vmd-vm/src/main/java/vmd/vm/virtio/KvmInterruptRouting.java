package vmd.vm.virtio;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import vmd.vm.kvm.GsiRoute;
import vmd.vm.kvm.KvmVm;

/**
 * {@link InterruptRouting} on a real {@link KvmVm}. KVM_SET_GSI_ROUTING replaces the
 * whole table, so this object owns it: the legacy PIC/IOAPIC routes plus one MSI route
 * per allocated GSI. Nothing else in the process may call {@code setGsiRouting} once
 * this exists. All calls must come from the vm process (KVM checks).
 */
public final class KvmInterruptRouting implements InterruptRouting {
    /** MSI GSIs start above the 24 IOAPIC pins. */
    public static final int FIRST_MSI_GSI = 24;
    /** KVM_MAX_IRQ_ROUTES on x86 is 4096 entries; the legacy routes take 39. */
    public static final int LAST_MSI_GSI = 4000;

    private final KvmVm vm;
    private final List<GsiRoute> legacy;
    private final Map<Integer, GsiRoute> msi = new TreeMap<>();
    private final java.util.BitSet used = new java.util.BitSet();

    public KvmInterruptRouting(KvmVm vm) {
        this(vm, GsiRoute.legacy());
    }

    public KvmInterruptRouting(KvmVm vm, List<GsiRoute> legacy) {
        this.vm = vm;
        this.legacy = List.copyOf(legacy);
    }

    @Override
    public synchronized int allocateGsi() {
        int gsi = used.nextClearBit(FIRST_MSI_GSI);
        if (gsi > LAST_MSI_GSI) throw new IllegalStateException("out of MSI GSIs");
        used.set(gsi);
        return gsi;
    }

    @Override
    public synchronized void releaseGsi(int gsi) {
        used.clear(gsi);
        if (msi.remove(gsi) != null) push();
    }

    @Override
    public synchronized void setMsiRoute(int gsi, long address, int data) {
        GsiRoute r = GsiRoute.msi(gsi, address, data);
        if (r.equals(msi.get(gsi))) return;
        msi.put(gsi, r);
        push();
    }

    private void push() {
        List<GsiRoute> all = new ArrayList<>(legacy);
        all.addAll(msi.values());
        vm.setGsiRouting(all);
    }

    @Override
    public void bindIrqfd(int eventfd, int gsi) {
        vm.irqfd(eventfd, gsi, true);
    }

    @Override
    public void unbindIrqfd(int eventfd, int gsi) {
        vm.irqfd(eventfd, gsi, false);
    }

    @Override
    public void registerIoeventfd(int eventfd, long address, int length) {
        vm.ioeventfd(eventfd, address, length, false, null, true);
    }

    @Override
    public void unregisterIoeventfd(int eventfd, long address, int length) {
        vm.ioeventfd(eventfd, address, length, false, null, false);
    }

    @Override
    public void signalMsi(long address, int data) {
        vm.signalMsi(address, data);
    }
}

package vmd.vm.kvm;

import static vmd.sys.Native.U32;
import static vmd.sys.Native.U64;
import static vmd.sys.Native.U8;

import static vmd.vm.kvm.KvmIoctls.*;

import java.lang.foreign.MemorySegment;
import vmd.memory.GuestMemory;
import vmd.memory.MappedRegion;
import vmd.sys.Fds;
import vmd.sys.Mman;
import vmd.sys.Native;

/**
 * A KVM virtual machine: its memory slots, in-kernel interrupt controllers and PIT,
 * interrupt injection, and the eventfd bindings that let device processes reach the
 * guest without passing through this process (ioeventfd for notifications, irqfd for
 * interrupts). KVM accepts all of these only from the process that created the VM.
 */
public final class KvmVm implements AutoCloseable {
    /** Three pages KVM needs below 4 GiB for Intel's real-mode TSS, and one for the EPT identity map. */
    public static final long TSS_ADDRESS = 0xFFFB_D000L;
    public static final long IDENTITY_MAP_ADDRESS = 0xFFFB_C000L;

    private static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1, KVM_IOEVENTFD_FLAG_PIO = 2, KVM_IOEVENTFD_FLAG_DEASSIGN = 4;
    private static final int KVM_IRQFD_FLAG_DEASSIGN = 1;
    private static final int KVM_PIT_SPEAKER_DUMMY = 1;
    private static final int KVM_MEM_READONLY = 2;

    private final Kvm kvm;
    private final int fd;
    private int nextSlot;

    KvmVm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    public Kvm kvm() {
        return kvm;
    }

    public int fd() {
        return fd;
    }

    private static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    private GuestMemory ram;
    private int firstRamSlot;

    /** Registers every region of guest RAM as a memory slot. */
    public void setMemory(GuestMemory memory) {
        ram = memory;
        firstRamSlot = nextSlot;
        for (MappedRegion r : memory.regions()) {
            setMemoryRegion(nextSlot++, r.region().guestAddress(), r.region().size(), r.hostAddress());
        }
    }

    /**
     * Turns KVM's dirty page log on or off for every RAM slot. While on, each vCPU write
     * to a page sets its bit, which {@link #takeDirtyLog} reads and clears. Writes by this
     * process or by device processes do not show: they bypass the guest's page tables.
     */
    public void setDirtyLogging(boolean on) {
        for (int i = 0; i < ram.regions().size(); i++) {
            MappedRegion r = ram.regions().get(i);
            setMemoryRegion(firstRamSlot + i, r.region().guestAddress(), r.region().size(), r.hostAddress(),
                    on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
        }
    }

    /** The pages of RAM region {@code index} written since the last call (bit i: page i of the region), cleared in KVM. */
    public long[] takeDirtyLog(int index) {
        MappedRegion r = ram.regions().get(index);
        long pages = r.region().size() / MappedRegion.PAGE_SIZE;
        int words = (int) ((pages + 63) / 64);
        MemorySegment bitmap = Native.allocate(8L * words);
        MemorySegment p = Native.allocate(16);
        p.set(U32, 0, firstRamSlot + index);
        p.set(U64, 8, bitmap.address());
        Fds.ioctl(fd, "KVM_GET_DIRTY_LOG", KVM_GET_DIRTY_LOG, p);
        return bitmap.toArray(java.lang.foreign.ValueLayout.JAVA_LONG);
    }

    public void setMemoryRegion(int slot, long guestAddress, long size, long hostAddress) {
        setMemoryRegion(slot, guestAddress, size, hostAddress, 0);
    }

    private void setMemoryRegion(int slot, long guestAddress, long size, long hostAddress, int flags) {
        MemorySegment p = Native.allocate(32);
        p.set(U32, 0, slot);
        p.set(U32, 4, flags);
        p.set(U64, 8, guestAddress);
        p.set(U64, 16, size);
        p.set(U64, 24, hostAddress);
        Fds.ioctl(fd, "KVM_SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION, p);
    }

    /**
     * Maps {@code image} read-only at {@code guestAddress} (firmware flash): reads come
     * from memory, writes exit as MMIO and are dropped. The copy is private to this process.
     */
    public void mapRom(long guestAddress, byte[] image) {
        long size = (image.length + 4095L) & ~4095L;
        long host = Mman.mmapAnonymous(size);
        MemorySegment.copy(image, 0, MemorySegment.ofAddress(host).reinterpret(image.length), U8, 0, image.length);
        setMemoryRegion(nextSlot++, guestAddress, size, host, KVM_MEM_READONLY);
    }

    /** The in-kernel PIC, IOAPIC and local APICs, the PIT, and the x86 bookkeeping pages. */
    public void createPlatform() {
        Fds.ioctl(fd, "KVM_SET_TSS_ADDR", KVM_SET_TSS_ADDR, TSS_ADDRESS);
        MemorySegment idmap = Native.allocate(8);
        idmap.set(U64, 0, IDENTITY_MAP_ADDRESS);
        Fds.ioctl(fd, "KVM_SET_IDENTITY_MAP_ADDR", KVM_SET_IDENTITY_MAP_ADDR, idmap);
        Fds.ioctl(fd, "KVM_CREATE_IRQCHIP", KVM_CREATE_IRQCHIP, 0);
        kvm.require(KVM_CAP_PIT2, "KVM_CAP_PIT2");
        MemorySegment pit = Native.allocate(64);
        pit.set(U32, 0, KVM_PIT_SPEAKER_DUMMY); // KVM emulates port 0x61 (PIT channel 2 gate/output) too
        Fds.ioctl(fd, "KVM_CREATE_PIT2", KVM_CREATE_PIT2, pit);
    }

    /** Drives a GSI line (an ISA IRQ or IOAPIC pin) high or low. */
    public void irqLine(int gsi, boolean high) {
        MemorySegment p = Native.allocate(8);
        p.set(U32, 0, gsi);
        p.set(U32, 4, high ? 1 : 0);
        Fds.ioctl(fd, "KVM_IRQ_LINE", KVM_IRQ_LINE, p);
    }

    /** Injects one message-signalled interrupt. */
    public void signalMsi(long address, int data) {
        MemorySegment p = Native.allocate(32);
        p.set(U32, 0, (int) address);
        p.set(U32, 4, (int) (address >>> 32));
        p.set(U32, 8, data);
        Fds.ioctl(fd, "KVM_SIGNAL_MSI", KVM_SIGNAL_MSI, p);
    }

    /** Replaces the whole GSI routing table. */
    public void setGsiRouting(java.util.List<GsiRoute> routes) {
        int entry = 48;
        MemorySegment p = Native.allocate(8 + routes.size() * entry);
        p.set(U32, 0, routes.size());
        for (int i = 0; i < routes.size(); i++) routes.get(i).write(p, 8L + (long) i * entry);
        Fds.ioctl(fd, "KVM_SET_GSI_ROUTING", KVM_SET_GSI_ROUTING, p);
    }

    /** Makes writes to an eventfd raise {@code gsi} in the guest, without leaving the kernel. */
    public void irqfd(int eventfd, int gsi, boolean assign) {
        MemorySegment p = Native.allocate(32);
        p.set(U32, 0, eventfd);
        p.set(U32, 4, gsi);
        p.set(U32, 8, assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN);
        Fds.ioctl(fd, assign ? "KVM_IRQFD" : "KVM_IRQFD(deassign)", KVM_IRQFD, p);
    }

    /**
     * Makes a guest write of {@code length} bytes to {@code address} (MMIO, or a port if
     * {@code pio}) signal {@code eventfd} instead of exiting to this process.
     * A {@code datamatch} of null matches any value.
     */
    public void ioeventfd(int eventfd, long address, int length, boolean pio, Long datamatch, boolean assign) {
        MemorySegment p = Native.allocate(64);
        int flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN);
        if (datamatch != null) {
            flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
            p.set(U64, 0, datamatch);
        }
        p.set(U64, 8, address);
        p.set(U32, 16, length);
        p.set(U32, 20, eventfd);
        p.set(U32, 24, flags);
        Fds.ioctl(fd, assign ? "KVM_IOEVENTFD" : "KVM_IOEVENTFD(deassign)", KVM_IOEVENTFD, p);
    }

    /** struct kvm_irqchip sizes: chip ids 0 and 1 are the two PICs, 2 the IOAPIC. */
    public static final int IRQCHIP_SIZE = 520, IRQCHIP_COUNT = 3, PIT_STATE_SIZE = 112, CLOCK_SIZE = 48;

    /** One in-kernel interrupt controller's state (struct kvm_irqchip, chip id first). */
    public byte[] irqchip(int chip) {
        MemorySegment p = Native.allocate(IRQCHIP_SIZE);
        p.set(U32, 0, chip);
        Fds.ioctl(fd, "KVM_GET_IRQCHIP", KVM_GET_IRQCHIP, p);
        return p.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    public void setIrqchip(byte[] state) {
        Fds.ioctl(fd, "KVM_SET_IRQCHIP", KVM_SET_IRQCHIP, copyOf(state, IRQCHIP_SIZE));
    }

    /** The PIT's channels and flags (struct kvm_pit_state2). */
    public byte[] pitState() {
        MemorySegment p = Native.allocate(PIT_STATE_SIZE);
        Fds.ioctl(fd, "KVM_GET_PIT2", KVM_GET_PIT2, p);
        return p.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    public void setPitState(byte[] state) {
        Fds.ioctl(fd, "KVM_SET_PIT2", KVM_SET_PIT2, copyOf(state, PIT_STATE_SIZE));
    }

    /** kvmclock's nanoseconds as the guest sees them (struct kvm_clock_data.clock). */
    public long clock() {
        MemorySegment p = Native.allocate(CLOCK_SIZE);
        Fds.ioctl(fd, "KVM_GET_CLOCK", KVM_GET_CLOCK, p);
        return p.get(U64, 0);
    }

    /** Sets kvmclock, so a restored guest's clock goes on from where it stopped. */
    public void setClock(long nanos) {
        MemorySegment p = Native.allocate(CLOCK_SIZE);
        p.set(U64, 0, nanos);
        Fds.ioctl(fd, "KVM_SET_CLOCK", KVM_SET_CLOCK, p);
    }

    private static MemorySegment copyOf(byte[] state, int size) {
        if (state.length != size) throw new IllegalArgumentException("state of " + state.length + " bytes, expected " + size);
        MemorySegment p = Native.allocate(size);
        MemorySegment.copy(state, 0, p, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, size);
        return p;
    }

    public Vcpu createVcpu(int id) {
        int vcpuFd = Fds.ioctl(fd, "KVM_CREATE_VCPU", KVM_CREATE_VCPU, id);
        Fds.setCloexec(vcpuFd, true);
        return new Vcpu(this, id, vcpuFd, kvm.vcpuMmapSize());
    }

    @Override
    public void close() {
        Fds.closeQuietly(fd);
    }
}

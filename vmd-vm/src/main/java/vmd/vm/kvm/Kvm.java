package vmd.vm.kvm;

import static vmd.sys.Native.U32;

import static vmd.vm.kvm.KvmIoctls.*;

import java.lang.foreign.MemorySegment;
import vmd.sys.Fds;
import vmd.sys.Native;

/** /dev/kvm: the API version check, capabilities, and the CPUID the host can offer. */
public final class Kvm implements AutoCloseable {
    public static final String DEVICE = "/dev/kvm";
    private static final int API_VERSION = 12;
    private static final int MAX_CPUID_ENTRIES = 256;

    private final int fd;

    private Kvm(int fd) {
        this.fd = fd;
    }

    /** Opens a /dev/kvm descriptor (the parent opens it and passes it to the vm process). */
    public static Kvm open() {
        return adopt(Fds.open(DEVICE, Fds.O_RDWR));
    }

    /** Wraps an already-open /dev/kvm descriptor and checks the API version. */
    public static Kvm adopt(int fd) {
        int version = Fds.ioctl(fd, "KVM_GET_API_VERSION", KVM_GET_API_VERSION, 0);
        if (version != API_VERSION) {
            throw new KvmException("KVM API version " + version + ", need " + API_VERSION);
        }
        return new Kvm(fd);
    }

    public int fd() {
        return fd;
    }

    public int checkExtension(int capability) {
        return Fds.ioctl(fd, "KVM_CHECK_EXTENSION", KVM_CHECK_EXTENSION, capability);
    }

    public void require(int capability, String name) {
        if (checkExtension(capability) <= 0) throw new KvmException("KVM lacks " + name);
    }

    int vcpuMmapSize() {
        return Fds.ioctl(fd, "KVM_GET_VCPU_MMAP_SIZE", KVM_GET_VCPU_MMAP_SIZE, 0);
    }

    /** Most vCPUs KVM allows in one VM. */
    public int maxVcpus() {
        int max = checkExtension(KVM_CAP_MAX_VCPUS);
        return max > 0 ? max : Math.max(checkExtension(KVM_CAP_NR_VCPUS), 4);
    }

    public CpuidTable supportedCpuid() {
        MemorySegment p = Native.allocate(8 + MAX_CPUID_ENTRIES * CpuidTable.ENTRY_SIZE);
        p.set(U32, 0, MAX_CPUID_ENTRIES);
        Fds.ioctl(fd, "KVM_GET_SUPPORTED_CPUID", KVM_GET_SUPPORTED_CPUID, p);
        return CpuidTable.read(p);
    }

    private int[] msrIndexList;

    /** The MSRs KVM can save and restore for a vCPU (KVM_GET_MSR_INDEX_LIST), asked once: a migration's stop needs it. */
    public synchronized int[] msrIndexList() {
        if (msrIndexList == null) msrIndexList = readMsrIndexList();
        return msrIndexList.clone();
    }

    private int[] readMsrIndexList() {
        int max = 1024;
        MemorySegment p = Native.allocate(4 + 4L * max);
        p.set(U32, 0, max);
        Fds.ioctl(fd, "KVM_GET_MSR_INDEX_LIST", KVM_GET_MSR_INDEX_LIST, p);
        int n = Math.min(p.get(U32, 0), max);
        int[] list = new int[n];
        for (int i = 0; i < n; i++) list[i] = p.get(U32, 4 + 4L * i);
        return list;
    }

    public KvmVm createVm() {
        require(KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
        require(KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP");
        require(KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
        require(KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
        int vmFd = Fds.ioctl(fd, "KVM_CREATE_VM", KVM_CREATE_VM, 0);
        Fds.setCloexec(vmFd, true);
        return new KvmVm(this, vmFd);
    }

    @Override
    public void close() {
        Fds.closeQuietly(fd);
    }
}

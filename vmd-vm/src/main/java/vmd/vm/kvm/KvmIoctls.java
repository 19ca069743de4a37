package vmd.vm.kvm;

/**
 * KVM ioctl request numbers and capability ids (linux/kvm.h, x86-64). The size encoded
 * in each number is the structure's size from the kernel header.
 */
final class KvmIoctls {
    private KvmIoctls() {}

    // /dev/kvm
    static final long KVM_GET_API_VERSION = 0xAE00;
    static final long KVM_CREATE_VM = 0xAE01;
    static final long KVM_CHECK_EXTENSION = 0xAE03;
    static final long KVM_GET_VCPU_MMAP_SIZE = 0xAE04;
    static final long KVM_GET_SUPPORTED_CPUID = 0xC008AE05L;
    static final long KVM_GET_MSR_INDEX_LIST = 0xC004AE02L;

    // VM fd
    static final long KVM_CREATE_VCPU = 0xAE41;
    static final long KVM_SET_USER_MEMORY_REGION = 0x4020AE46L;
    static final long KVM_GET_DIRTY_LOG = 0x4010AE42L;
    static final long KVM_SET_TSS_ADDR = 0xAE47;
    static final long KVM_SET_IDENTITY_MAP_ADDR = 0x4008AE48L;
    static final long KVM_CREATE_IRQCHIP = 0xAE60;
    static final long KVM_IRQ_LINE = 0x4008AE61L;
    static final long KVM_SET_GSI_ROUTING = 0x4008AE6AL;
    static final long KVM_IRQFD = 0x4020AE76L;
    static final long KVM_CREATE_PIT2 = 0x4040AE77L;
    static final long KVM_IOEVENTFD = 0x4040AE79L;
    static final long KVM_SIGNAL_MSI = 0x4020AEA5L;
    static final long KVM_GET_IRQCHIP = 0xC208AE62L;
    static final long KVM_SET_IRQCHIP = 0x8208AE63L; // _IOR in the kernel header, although it writes
    static final long KVM_GET_PIT2 = 0x8070AE9FL;
    static final long KVM_SET_PIT2 = 0x4070AEA0L;
    static final long KVM_GET_CLOCK = 0x8030AE7CL;
    static final long KVM_SET_CLOCK = 0x4030AE7BL;

    // vCPU fd
    static final long KVM_RUN = 0xAE80;
    static final long KVM_GET_REGS = 0x8090AE81L;
    static final long KVM_SET_REGS = 0x4090AE82L;
    static final long KVM_GET_SREGS = 0x8138AE83L;
    static final long KVM_SET_SREGS = 0x4138AE84L;
    static final long KVM_GET_MSRS = 0xC008AE88L;
    static final long KVM_SET_MSRS = 0x4008AE89L;
    static final long KVM_GET_FPU = 0x81A0AE8CL;
    static final long KVM_GET_LAPIC = 0x8400AE8EL;
    static final long KVM_SET_LAPIC = 0x4400AE8FL;
    static final long KVM_SET_MP_STATE = 0x4004AE99L;
    static final long KVM_GET_VCPU_EVENTS = 0x8040AE9FL;
    static final long KVM_SET_VCPU_EVENTS = 0x4040AEA0L;
    static final long KVM_GET_DEBUGREGS = 0x8080AEA1L;
    static final long KVM_SET_DEBUGREGS = 0x4080AEA2L;
    static final long KVM_GET_XSAVE = 0x9000AEA4L;
    static final long KVM_SET_XSAVE = 0x5000AEA5L;
    static final long KVM_GET_XCRS = 0x8188AEA6L;
    static final long KVM_SET_XCRS = 0x4188AEA7L;
    static final long KVM_SET_SIGNAL_MASK = 0x4004AE8BL;
    static final long KVM_SET_FPU = 0x41A0AE8DL;
    static final long KVM_SET_CPUID2 = 0x4008AE90L;
    static final long KVM_GET_MP_STATE = 0x8004AE98L;

    // capabilities
    static final int KVM_CAP_IRQCHIP = 0;
    static final int KVM_CAP_USER_MEMORY = 3;
    static final int KVM_CAP_SET_TSS_ADDR = 4;
    static final int KVM_CAP_NR_VCPUS = 9;
    static final int KVM_CAP_IRQ_ROUTING = 25;
    static final int KVM_CAP_IRQFD = 32;
    static final int KVM_CAP_PIT2 = 33;
    static final int KVM_CAP_IOEVENTFD = 36;
    static final int KVM_CAP_MAX_VCPUS = 66;
    static final int KVM_CAP_SIGNAL_MSI = 77;
    static final int KVM_CAP_IMMEDIATE_EXIT = 136;
    static final int KVM_CAP_XSAVE = 55;
    static final int KVM_CAP_XCRS = 56;
    static final int KVM_CAP_DEBUGREGS = 50;
    static final int KVM_CAP_ADJUST_CLOCK = 39;
}

package vmd.imsg;

import java.util.Objects;

/**
 * CHILD_CONFIG for a vm process: everything it needs besides descriptors. Images,
 * /dev/kvm and the console arrive as CHILD_FD messages before it, labelled
 * {@link #FD_KVM}, {@link #FD_CONSOLE}, {@link #FD_BOOT}, {@link #FD_INITRD}, and one
 * vhost-user socket per disk ({@link #diskLabel}) and per network interface ({@link #nicLabel}).
 */
public record VmParams(String name, int vmId, long memoryBytes, int vcpus, String cmdline, String bootDevice)
        implements ImsgPayload {
    public static final String FD_KVM = "kvm", FD_CONSOLE = "console", FD_BOOT = "boot", FD_INITRD = "initrd";
    /** The network interfaces' option ROM (iPXE) that the firmware runs; sent only for firmware boots with interfaces. */
    public static final String FD_NET_ROM = "netrom";
    /** vmctl receive: the snapshot stream to start from instead of booting. */
    public static final String FD_RESTORE = "restore";
    public static final int MAX_VCPUS = 64;
    /** Disks and cdroms together (OpenBSD's VM_MAX_DISKS_PER_VM is 4, plus the cdrom). */
    public static final int MAX_DISKS = 5;

    /** The label of the vhost-user socket to disk {@code i}'s vioblk process. */
    public static String diskLabel(int i) {
        return "vioblk" + i;
    }

    /** Network interfaces (OpenBSD's VM_MAX_NICS_PER_VM). */
    public static final int MAX_NICS = 4;

    /** The label of the vhost-user socket to network interface {@code i}'s vionet process. */
    public static String nicLabel(int i) {
        return "vionet" + i;
    }

    public VmParams {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(bootDevice, "bootDevice");
        // VM ids are non-negative ints, as in VmOp: a u32 above 2^31 - 1 could not be encoded again.
        if (vmId < 0) throw new IllegalArgumentException("vm id must not be negative: " + vmId);
        if (memoryBytes < (1 << 20)) throw new IllegalArgumentException("memory below 1 MB: " + memoryBytes);
        if (vcpus < 1 || vcpus > MAX_VCPUS) throw new IllegalArgumentException("vcpus must be 1-" + MAX_VCPUS + ": " + vcpus);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(name).u32(vmId).u64(memoryBytes).u32(vcpus).string(cmdline).string(bootDevice);
    }

    public static VmParams decode(PayloadReader in) {
        return new VmParams(in.string(), (int) in.u32(), in.u64(), (int) in.u32(), in.string(), in.string());
    }
}

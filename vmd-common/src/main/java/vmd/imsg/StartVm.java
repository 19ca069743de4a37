package vmd.imsg;

import java.util.List;
import java.util.Objects;

/**
 * START_VM_REQUEST (OpenBSD's {@code struct vmop_create_params}): start the VM {@code name}
 * from vm.conf, or create one with the given options, or an instance of {@code template}
 * ({@code vmctl start -t}). Empty strings, 0 and -1 mean "not given".
 *
 * @param name       VM name, or its id in decimal
 * @param template   {@code -t}: the VM to make an instance of, or ""
 * @param boot       {@code -b}: kernel or boot image, absolute, or ""
 * @param cdrom      {@code -r}: ISO image, absolute, or ""
 * @param disks      {@code -d}: disk paths, each optionally prefixed "raw:" or "qcow2:"
 * @param networks   {@code -n} switch names, "." for a local interface ({@code -L})
 * @param interfaces {@code -i}: interface count, or -1
 * @param memory     {@code -m}: bytes (a multiple of 1 MB), or 0
 * @param cpus       vCPUs (Linux addition {@code -p}), or 0
 * @param cmdline    kernel command line (Linux addition {@code -A}), or ""
 * @param initrd     initial ramdisk (Linux addition {@code -I}), absolute, or ""
 * @param bootDevice {@code -B}: "disk", "cdrom", "net", or ""
 * @param uid        the client's uid, stamped by the control process
 * @param gid        the client's gid, stamped by the control process
 */
public record StartVm(String name, String template, String boot, String cdrom, List<String> disks,
        List<String> networks, int interfaces, long memory, int cpus, String cmdline, String initrd,
        String bootDevice, int uid, int gid) implements ImsgPayload {
    public static final int MAX_DISKS = 4, MAX_NICS = 4;

    public StartVm {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(cdrom, "cdrom");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(bootDevice, "bootDevice");
        disks = List.copyOf(disks);
        networks = List.copyOf(networks);
        if (name.isEmpty() || name.length() > VmOp.MAX_NAME) throw new IllegalArgumentException("vm name must be 1-" + VmOp.MAX_NAME + " characters");
        if (disks.size() > MAX_DISKS) throw new IllegalArgumentException("too many disks");
        if (networks.size() > MAX_NICS || interfaces > MAX_NICS) throw new IllegalArgumentException("too many network interfaces");
        if (interfaces < -1) throw new IllegalArgumentException("bad interface count " + interfaces);
        if (memory < 0 || cpus < 0 || cpus > VmParams.MAX_VCPUS) throw new IllegalArgumentException("bad memory or cpu count");
    }

    /** True if anything beyond the name was given: a new VM (or instance) is described. */
    public boolean createsVm() {
        return !template.isEmpty() || !boot.isEmpty() || !cdrom.isEmpty() || !disks.isEmpty() || !networks.isEmpty()
                || interfaces > 0 || memory > 0 || cpus > 0 || !cmdline.isEmpty() || !initrd.isEmpty() || !bootDevice.isEmpty();
    }

    public StartVm withCredentials(int newUid, int newGid) {
        return new StartVm(name, template, boot, cdrom, disks, networks, interfaces, memory, cpus, cmdline, initrd,
                bootDevice, newUid, newGid);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(name).string(template).string(boot).string(cdrom)
                .list(disks, PayloadWriter::string).list(networks, PayloadWriter::string)
                .i32(interfaces).u64(memory).i32(cpus).string(cmdline).string(initrd).string(bootDevice)
                .i32(uid).i32(gid);
    }

    public static StartVm decode(PayloadReader in) {
        return new StartVm(in.string(), in.string(), in.string(), in.string(), in.list(PayloadReader::string),
                in.list(PayloadReader::string), in.i32(), in.u64(), in.i32(), in.string(), in.string(), in.string(),
                in.i32(), in.i32());
    }
}

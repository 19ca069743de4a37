package vmd.parent.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds an instance of a VM: {@code vm "parent" instance "name" { ... }} in
 * vm.conf, and {@code vmctl start -t parent name ...}. This is OpenBSD's
 * vm_instance() (vmd.c) on the immutable model.
 *
 * <p>The request is a VM configuration holding only what the caller asked for
 * (its name, and any of memory, cpus, disks, interfaces, cdrom, boot, owner).
 * Everything else is inherited from the parent except what is exclusive to one
 * VM: disks, interface names and MAC addresses. Root may change anything; other
 * callers must be allowed by the parent's {@code allow instance} (owner, then
 * each option). In every case an instance may not reuse a parent's disk,
 * interface name or MAC address.
 *
 * <p>Where OpenBSD's code and vm.conf(5) disagree this follows the manual:
 * root is never refused a permission (OpenBSD refuses root an owner that differs
 * from the parent's, and instance permissions of its own); an unset owner group
 * is inherited (OpenBSD compares the "unset" -1 and reports a group mismatch);
 * a boot image only needs {@code allow instance boot} when the request sets one
 * (OpenBSD 7.x also asks it when merely inheriting the parent's); interfaces
 * copied from the parent get a fresh name and MAC (OpenBSD copies both, which
 * then collide with the running parent); an interface count equal to the
 * parent's does not smuggle other switch or group settings past a missing
 * {@code allow instance interface}; the boot device is inherited. The name must
 * not exist yet: the caller checks that against its registry.
 */
public final class VmInstances {
    private VmInstances() {
    }

    public static VmConfig create(VmConfig parent, VmConfig request, Caller caller) throws InstanceException {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(caller, "caller");
        AllowInstance allow = parent.allowInstance();

        if (!caller.isOwner(allow.owner())) {
            throw denied("no permission to create vm instance");
        }

        VmConfig.Builder b = request.toBuilder();
        b.instanceOf = parent.name();

        // vCPUs
        int cpus = request.cpus() == 0 ? parent.cpus() : request.cpus();
        if (!may(caller, allow, InstanceFlag.CPUS) && effectiveCpus(cpus) != parent.effectiveCpus()) {
            throw denied("no permission to set cpus");
        }
        b.cpus = cpus;

        // memory
        long memory = request.memory() == 0 ? parent.memory() : request.memory();
        if (!may(caller, allow, InstanceFlag.MEMORY)
                && effectiveMemory(memory) != parent.effectiveMemory()) {
            throw denied("no permission to set memory");
        }
        b.memory = memory;

        // disks are never inherited
        if (!request.disks().isEmpty() && !may(caller, allow, InstanceFlag.DISK)) {
            throw denied("no permission to set disks");
        }
        for (DiskConfig d : request.disks()) {
            for (DiskConfig p : parent.disks()) {
                if (d.path().equals(p.path())) {
                    throw new InstanceException(InstanceException.Reason.BUSY,
                            "disk " + d.path() + " cannot be reused");
                }
            }
        }

        // interfaces: the request's, then the parent's beyond them
        List<InterfaceConfig> mine = request.interfaces();
        List<InterfaceConfig> theirs = parent.interfaces();
        if (!mine.isEmpty() && !may(caller, allow, InstanceFlag.INTERFACE)) {
            boolean same = mine.size() == theirs.size();
            for (int i = 0; same && i < mine.size(); i++) {
                same = mine.get(i).withoutExclusive().equals(theirs.get(i).withoutExclusive());
            }
            if (!same) {
                throw denied("no permission to set interfaces");
            }
        }
        for (InterfaceConfig r : mine) {
            for (InterfaceConfig p : theirs) {
                if (r.lladdr() != null && !r.lladdr().isZero() && r.lladdr().equals(p.lladdr())) {
                    throw new InstanceException(InstanceException.Reason.BUSY,
                            "lladdr " + r.lladdr() + " cannot be reused");
                }
                if (r.name() != null && !r.name().equals("tap") && r.name().equals(p.name())) {
                    throw new InstanceException(InstanceException.Reason.BUSY,
                            "interface " + r.name() + " cannot be reused");
                }
            }
        }
        List<InterfaceConfig> ifs = new ArrayList<>(mine);
        for (int i = mine.size(); i < theirs.size(); i++) {
            ifs.add(theirs.get(i).withoutExclusive());
        }
        b.interfaces.clear();
        b.interfaces.addAll(ifs);

        // boot image and the Linux boot options
        if (request.boot() != null || request.cmdline() != null || request.initrd() != null
                || request.firmware() != null) {
            if (!may(caller, allow, InstanceFlag.BOOT)) {
                throw denied("no permission to set boot image");
            }
        }
        if (b.boot == null) {
            b.boot = parent.boot();
        }
        if (b.cmdline == null) {
            b.cmdline = parent.cmdline();
        }
        if (b.initrd == null) {
            b.initrd = parent.initrd();
        }
        if (b.firmware == null) {
            b.firmware = parent.firmware();
        }
        if (b.bootDevice == null) {
            b.bootDevice = parent.bootDevice();
        }
        // only vm.conf (root) sets it: vmctl start has no option for it
        if (b.deviceRestarts == null) {
            b.deviceRestarts = parent.deviceRestarts();
        }

        // cdrom
        if (request.cdrom() != null) {
            if (!may(caller, allow, InstanceFlag.CDROM)) {
                throw denied("no permission to set cdrom");
            }
        } else {
            b.cdrom = parent.cdrom();
        }

        // owner: the caller may name itself, otherwise it must match the parent
        Owner o = request.owner();
        Owner po = parent.owner();
        if (!o.hasUid()) {
            o = o.withUid(po.uid(), po.user());
        } else if (!caller.isRoot() && o.uid() != caller.uid() && o.uid() != po.uid()) {
            throw denied("user mismatch");
        }
        if (!o.hasGid()) {
            o = o.withGid(po.gid(), po.group());
        } else if (!caller.isRoot() && o.gid() != po.gid()) {
            throw denied("group mismatch");
        }
        b.owner = o;

        // instances of this instance
        if (!request.allowInstance().isEmpty()) {
            if (!caller.isRoot()) {
                throw denied("cannot change instance permissions");
            }
        } else if (allow.allows(InstanceFlag.INSTANCE)) {
            b.allowInstance = allow;
        } else {
            b.allowInstance = AllowInstance.NONE;
        }

        if (!b.sev) {
            b.sev = parent.sev();
            b.seves = parent.seves();
        }
        return b.build();
    }

    private static boolean may(Caller caller, AllowInstance allow, InstanceFlag flag) {
        return caller.isRoot() || allow.allows(flag);
    }

    private static int effectiveCpus(int cpus) {
        return cpus == 0 ? Limits.DEFAULT_CPUS : cpus;
    }

    private static long effectiveMemory(long memory) {
        return memory == 0 ? Limits.DEFAULT_MEMORY : memory;
    }

    private static InstanceException denied(String message) {
        return new InstanceException(InstanceException.Reason.PERMISSION, message);
    }
}

package vmd.parent.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One {@code vm "name" { ... }} block (or an instance built from one).
 *
 * @param name          VM name (at most 63 bytes of [A-Za-z0-9._-], not starting with '.', '-', '_')
 * @param enabled       {@code enable} (default) / {@code disable}: start when vmd starts
 * @param instanceOf    the parent's name for {@code vm "parent" instance "name"}, else null
 * @param boot          {@code boot "path"}, resolved; null boots the firmware (SeaBIOS)
 * @param bootDevice    {@code boot device disk|cdrom|net}, or null
 * @param disks         {@code disk} lines, in order (at most {@link Limits#MAX_DISKS})
 * @param cdrom         {@code cdrom "path"} as written, or null
 * @param interfaces    every interface, in order: the {@code interface} lines, then
 *                      defaults up to {@code interfaces N} (at most {@link Limits#MAX_NICS})
 * @param memory        bytes, a multiple of 1 MiB; 0 means the default (512M)
 * @param cpus          vCPUs ({@code cpus}, Linux); 0 means the default (1)
 * @param owner         {@code owner}, or {@link Owner#NONE} (root only)
 * @param allowInstance {@code allow instance}
 * @param sev           {@code sev} / {@code seves}: accepted, not supported on Linux
 * @param seves         {@code seves}
 * @param cmdline       kernel command line ({@code cmdline}, Linux), or null
 * @param initrd        initial ramdisk ({@code initrd}, Linux), resolved, or null
 * @param firmware      firmware image ({@code firmware}, Linux), resolved, or null for the global one
 * @param deviceRestarts {@code device restarts N per S} (Linux), or null for the global setting
 */
public record VmConfig(String name, boolean enabled, String instanceOf, String boot, BootDevice bootDevice,
        List<DiskConfig> disks, String cdrom, List<InterfaceConfig> interfaces, long memory, int cpus,
        Owner owner, AllowInstance allowInstance, boolean sev, boolean seves, String cmdline,
        String initrd, String firmware, DeviceRestarts deviceRestarts) {

    public VmConfig {
        Objects.requireNonNull(name, "name");
        disks = List.copyOf(disks);
        interfaces = List.copyOf(interfaces);
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(allowInstance, "allowInstance");
    }

    /** Memory in bytes with the default applied. */
    public long effectiveMemory() {
        return memory == 0 ? Limits.DEFAULT_MEMORY : memory;
    }

    /** vCPU count with the default applied. */
    public int effectiveCpus() {
        return cpus == 0 ? Limits.DEFAULT_CPUS : cpus;
    }

    public boolean isInstance() {
        return instanceOf != null;
    }

    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.enabled = enabled;
        b.instanceOf = instanceOf;
        b.boot = boot;
        b.bootDevice = bootDevice;
        b.disks.addAll(disks);
        b.cdrom = cdrom;
        b.interfaces.addAll(interfaces);
        b.memory = memory;
        b.cpus = cpus;
        b.owner = owner;
        b.allowInstance = allowInstance;
        b.sev = sev;
        b.seves = seves;
        b.cmdline = cmdline;
        b.initrd = initrd;
        b.firmware = firmware;
        b.deviceRestarts = deviceRestarts;
        return b;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Mutable companion, for the parser and for building instance requests. */
    public static final class Builder {
        public String name;
        public boolean enabled = true;
        public String instanceOf;
        public String boot;
        public BootDevice bootDevice;
        public final List<DiskConfig> disks = new ArrayList<>();
        public String cdrom;
        public final List<InterfaceConfig> interfaces = new ArrayList<>();
        public long memory;
        public int cpus;
        public Owner owner = Owner.NONE;
        public AllowInstance allowInstance = AllowInstance.NONE;
        public boolean sev;
        public boolean seves;
        public String cmdline;
        public String initrd;
        public String firmware;
        public DeviceRestarts deviceRestarts;

        public Builder(String name) {
            this.name = name;
        }

        public Builder enabled(boolean v) { enabled = v; return this; }
        public Builder instanceOf(String v) { instanceOf = v; return this; }
        public Builder boot(String v) { boot = v; return this; }
        public Builder bootDevice(BootDevice v) { bootDevice = v; return this; }
        public Builder disk(String path, DiskFormat format) { disks.add(new DiskConfig(path, format)); return this; }
        public Builder cdrom(String v) { cdrom = v; return this; }
        public Builder iface(InterfaceConfig v) { interfaces.add(v); return this; }
        public Builder memory(long v) { memory = v; return this; }
        public Builder cpus(int v) { cpus = v; return this; }
        public Builder owner(Owner v) { owner = v; return this; }
        public Builder allowInstance(AllowInstance v) { allowInstance = v; return this; }
        public Builder cmdline(String v) { cmdline = v; return this; }
        public Builder initrd(String v) { initrd = v; return this; }
        public Builder firmware(String v) { firmware = v; return this; }
        public Builder deviceRestarts(DeviceRestarts v) { deviceRestarts = v; return this; }

        public VmConfig build() {
            return new VmConfig(name, enabled, instanceOf, boot, bootDevice, disks, cdrom, interfaces,
                    memory, cpus, owner, allowInstance, sev, seves, cmdline, initrd, firmware, deviceRestarts);
        }
    }
}

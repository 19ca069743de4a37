package vmd.parent.priv;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vmd.parent.config.VmConfig;
import vmd.sys.Fds;
import vmd.sys.NativeException;

/**
 * Everything a VM's processes need that only root may open: /dev/kvm, the boot image,
 * the initrd, the firmware. The parent opens them afresh for every start of the vm
 * process; the children only ever see descriptors. Failures name the file.
 */
public final class VmResources implements AutoCloseable {
    public static final String DEFAULT_FIRMWARE = "/usr/share/seabios/bios-256k.bin";
    /** iPXE for modern virtio-net (1af4:1041), Debian's ipxe-qemu: lets the firmware boot from the network. */
    public static final String NET_ROM = "/usr/lib/ipxe/qemu/pxe-virtio.rom";

    private final Map<String, Integer> fds = new LinkedHashMap<>();

    private VmResources() {
    }

    /** Opens what {@code vm} needs; {@code firmware} is the global default or null. */
    public static VmResources open(VmConfig vm, String globalFirmware) {
        VmResources r = new VmResources();
        try {
            r.fds.put("kvm", Fds.open("/dev/kvm", Fds.O_RDWR));
            String boot = vm.boot();
            if (boot == null) boot = vm.firmware() != null ? vm.firmware() : globalFirmware != null ? globalFirmware : DEFAULT_FIRMWARE;
            r.fds.put("boot", openImage(vm.boot() != null ? "kernel" : "firmware", boot));
            if (vm.initrd() != null) r.fds.put("initrd", openImage("initrd", vm.initrd()));
            if (vm.boot() == null && !vm.interfaces().isEmpty() && new java.io.File(NET_ROM).canRead()) {
                r.fds.put("netrom", openImage("network option ROM", NET_ROM)); // optional: without it, no network boot
            }
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private static int openImage(String what, String path) {
        try {
            return Fds.open(path, Fds.O_RDONLY);
        } catch (NativeException e) {
            throw new IllegalArgumentException(what + " " + path + ": " + NativeException.describe(e.errno()), e);
        }
    }

    /** label -> descriptor, in the order they should be sent. */
    public Map<String, Integer> descriptors() {
        return Map.copyOf(fds);
    }

    /** Closes the parent's copies once the child has its own. */
    @Override
    public void close() {
        List<Integer> open = new ArrayList<>(fds.values());
        fds.clear();
        for (int fd : open) Fds.closeQuietly(fd);
    }
}

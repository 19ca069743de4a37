package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import vmd.parent.config.BootDevice;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.VmConfig;
import vmd.parent.priv.VmResources;
import vmd.testing.Prerequisites;

/**
 * {@code boot device net} with SeaBIOS: the parent hands the vm process Debian's iPXE ROM
 * for modern virtio-net, SeaBIOS runs it from fw_cfg, and iPXE (a DHCP client nobody here
 * wrote) gets the local interface's address from vionet's DHCP server. In a network
 * namespace of the test, which the parent's event thread enters. Under PVM iPXE stops on
 * an instruction PVM cannot emulate before it sends anything, so there the test ends once
 * iPXE runs; QemuNetInteropTest covers iPXE's DHCP against vionet under QEMU.
 */
class NetBootTest {
    private static final String IP = "/usr/sbin/ip";

    @Test
    void ipxeGetsTheLocalInterfacesAddressFromVionet() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool(IP);
        Prerequisites.require(Files.isReadable(Path.of(VmResources.DEFAULT_FIRMWARE)), "SeaBIOS (Debian package seabios)");
        Prerequisites.require(Files.isReadable(Path.of(VmResources.NET_ROM)), "iPXE ROMs (Debian package ipxe-qemu)");
        String ns = "vmdtest-pxe-" + ProcessHandle.current().pid();
        VionetVmTest.run(IP, "netns", "add", ns);
        try (VmFixture f = new VmFixture()) {
            ParentNetns.enter(f, ns);
            Vm vm = f.start(VmConfig.builder("pxe").memory(128L << 20).cpus(1).bootDevice(BootDevice.NET)
                    .iface(new InterfaceConfig(true, null, null, null, false, null, -1, true)).build());
            String guest = "100.64." + vm.id() + ".3";
            try {
                f.awaitConsole("iPXE (PCI 00:", Duration.ofSeconds(60)); // SeaBIOS found the ROM for 1af4:1041
                f.awaitConsole("iPXE initialising devices...ok", Duration.ofSeconds(120));
                if (GuestImages.pvm()) {
                    // iPXE's protected-mode code soon hits an instruction PVM cannot emulate.
                    System.err.println("PVM: iPXE ran from fw_cfg; its DHCP needs hardware virtualization");
                    return;
                }
                f.awaitConsole(guest, Duration.ofSeconds(120)); // "net0: 100.64.N.3/255.255.255.254 gw 100.64.N.2"
            } finally {
                System.err.println(f.console());
            }
        } finally {
            VionetVmTest.run(IP, "netns", "del", ns);
        }
    }
}

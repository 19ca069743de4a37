package vmd.vm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.vm.devices.MmioBus;
import vmd.vm.devices.PortBus;
import vmd.vm.kvm.Kvm;
import vmd.vm.kvm.KvmVm;
import vmd.vm.pci.MsixCapability;
import vmd.vm.pci.PciBus;

/** The transport's KVM calls on a real VM: ioeventfd and irqfd registration, GSI routing. */
class KvmInterruptRoutingTest {
    @Test
    void ioctlsSucceedOnARealVm() {
        vmd.testing.Prerequisites.requireKvm();
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm()) {
            vm.createPlatform();
            KvmInterruptRouting routing = new KvmInterruptRouting(vm);
            int fd = EventFds.create();
            int gsi = routing.allocateGsi();
            assertEquals(KvmInterruptRouting.FIRST_MSI_GSI, gsi);
            routing.setMsiRoute(gsi, 0xfee0_0000L, 0x41);
            routing.bindIrqfd(fd, gsi);
            routing.setMsiRoute(gsi, 0xfee0_1000L, 0x42); // the bound irqfd follows
            routing.unbindIrqfd(fd, gsi);
            routing.releaseGsi(gsi);
            routing.registerIoeventfd(fd, 0xfe00_3000L, 2);
            routing.unregisterIoeventfd(fd, 0xfe00_3000L, 2);
            Fds.close(fd);
        }
    }

    @Test
    void transportOnARealVm() {
        vmd.testing.Prerequisites.requireKvm();
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm()) {
            vm.createPlatform();
            GuestMemory mem = GuestMemory.create("kvm-virtio", List.of(new MemoryRegion(0, 1 << 20, 0)));
            vm.setMemory(mem);
            MmioBus mmio = new MmioBus();
            PortBus ports = new PortBus();
            PciBus bus = new PciBus(mmio, ports, gsi -> level -> vm.irqLine(gsi, level));
            KvmInterruptRouting routing = new KvmInterruptRouting(vm);
            VirtioPciTransport t = new VirtioPciTransport(new VirtioRng(mem, new SecureRandom()), routing);
            bus.add(t);
            bus.assignResources(0xc000_0000L, 0x1000_0000L); // ioeventfd registered here
            long bar1 = t.barMappedAt(VirtioPciTransport.MSIX_BAR);
            assertTrue(t.notifyAddress(0) > 0);
            int cap = t.msix().capabilityOffset();
            t.writeConfig(cap + 2, 2, MsixCapability.CONTROL_ENABLE);
            mmio.write(bar1 + 16, 4, 0xfee0_0000L);
            mmio.write(bar1 + 24, 4, 0x41);
            mmio.write(bar1 + 28, 4, 0);
            long bar4 = t.barMappedAt(VirtioPciTransport.VIRTIO_BAR);
            mmio.write(bar4 + VirtioPciTransport.QUEUE_MSIX_VECTOR, 2, 1); // irqfd bound here
            assertEquals(1, mmio.read(bar4 + VirtioPciTransport.QUEUE_MSIX_VECTOR, 2));
            mmio.write(bar1 + 28, 4, 1); // masked: irqfd unbound
            mmio.write(bar1 + 28, 4, 0); // rebound
            t.writeConfig(0x04, 2, 0); // decode off: ioeventfd unregistered
            t.close(); // irqfd unbound, GSI released
        }
    }
}

package vmd.vm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.testing.Prerequisites;

/** Real KVM: a few bytes of real-mode code talk to a port; a vCPU is paused, resumed and stopped. */
class KvmSmokeTest {
    // mov dx,0x3f8; mov al,'v'; out dx,al; mov al,'m'; out dx,al; mov al,'d'; out dx,al; loop: jmp loop
    private static final byte[] CODE = {
        (byte) 0xBA, (byte) 0xF8, 0x03, (byte) 0xB0, 'v', (byte) 0xEE, (byte) 0xB0, 'm', (byte) 0xEE,
        (byte) 0xB0, 'd', (byte) 0xEE, (byte) 0xEB, (byte) 0xFE };

    private static Vcpu realModeVcpu(KvmVm vm, GuestMemory mem) {
        mem.write(0x1000, CODE);
        Vcpu vcpu = vm.createVcpu(0);
        vcpu.setCpuid(vm.kvm().supportedCpuid());
        Sregs s = vcpu.sregs();
        s.segment(Sregs.Seg.CS, new Segment(0, 0xFFFF, 0, 0xB, true, 0, false, true, false, false, false));
        vcpu.setSregs(s);
        Regs r = new Regs();
        r.rip = 0x1000;
        vcpu.setRegs(r);
        return vcpu;
    }

    @Test
    void guestPortWritesReachTheVmm() {
        Prerequisites.requireKvm();
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm()) {
            vm.createPlatform();
            GuestMemory mem = GuestMemory.create("smoke", List.of(new MemoryRegion(0, 1 << 20, 0)));
            vm.setMemory(mem);
            Vcpu vcpu = realModeVcpu(vm, mem);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (out.size() < 3) {
                assertTrue(vcpu.run());
                KvmRun run = vcpu.kvmRun();
                assertEquals(KvmRun.EXIT_IO, run.exitReason(), KvmRun.exitName(run.exitReason()));
                assertEquals(0x3f8, run.ioPort());
                assertEquals(KvmRun.IO_OUT, run.ioDirection());
                out.write(run.ioData().get(0));
            }
            assertEquals("vmd", out.toString());
        }
    }

    @Test
    void kicksGetAVcpuOutOfTheGuestAndNoneIsLost() throws Exception {
        Prerequisites.requireKvm();
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm()) {
            vm.createPlatform();
            GuestMemory mem = GuestMemory.create("kick", List.of(new MemoryRegion(0, 1 << 20, 0)));
            vm.setMemory(mem);
            Vcpu vcpu = realModeVcpu(vm, mem);
            java.util.concurrent.atomic.AtomicInteger ios = new java.util.concurrent.atomic.AtomicInteger();
            VcpuThread t = new VcpuThread(vcpu, v -> {
                ios.incrementAndGet();
                return true;
            }, e -> { });
            t.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ios.get() < 3 && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(3, ios.get(), "the guest reached its spin loop");
            // The guest spins in "jmp $" after its three outs: only a kick gets it out.
            for (int i = 0; i < 20; i++) {
                t.pause();
                assertTrue(t.paused(), "paused on round " + i);
                t.unpause();
            }
            t.requestStop();
            t.join();
            assertFalse(t.alive());
            assertEquals(3, ios.get());
        }
    }
}

package vmd.vm;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.vm.devices.MmioBus;
import vmd.vm.devices.PortBus;
import vmd.vm.kvm.KvmRun;
import vmd.vm.kvm.Vcpu;
import vmd.vm.kvm.VcpuThread;

/**
 * What a vCPU thread does when KVM_RUN returns: port and MMIO accesses go to the buses;
 * power events and failures go to the machine, which ends the VM with a reason. An exit
 * the VMM cannot handle is logged with the registers and ends the VM, never hangs it.
 */
final class VcpuExits implements VcpuThread.ExitHandler {
    private static final Logger log = LoggerFactory.getLogger(VcpuExits.class);

    private final Machine machine;
    private final PortBus ports;
    private final MmioBus mmio;
    private final VcpuExitCounts counts;

    VcpuExits(Machine machine, PortBus ports, MmioBus mmio) {
        this.machine = machine;
        this.ports = ports;
        this.mmio = mmio;
        this.counts = machine.exitCounts();
    }

    @Override
    public boolean handleExit(Vcpu vcpu) {
        KvmRun run = vcpu.kvmRun();
        int reason = run.exitReason();
        counts.count(reason);
        switch (reason) {
            case KvmRun.EXIT_IO -> portIo(run);
            case KvmRun.EXIT_MMIO -> mmio(run);
            case KvmRun.EXIT_INTR -> { } // a kick raced with an exit; the loop checks requests
            case KvmRun.EXIT_SHUTDOWN -> machine.reset("triple fault on vcpu " + vcpu.id());
            case KvmRun.EXIT_SYSTEM_EVENT -> systemEvent(vcpu, run.systemEventType());
            case KvmRun.EXIT_HLT -> machine.powerOff("vcpu " + vcpu.id() + " halted with interrupts off");
            case KvmRun.EXIT_INTERNAL_ERROR -> fail(vcpu, String.format("KVM internal error (suberror %d%s)",
                    run.internalSuberror(), run.internalSuberror() == 1 ? ": emulation failure" : ""));
            case KvmRun.EXIT_FAIL_ENTRY -> fail(vcpu, String.format("KVM entry failure (hardware reason 0x%x)", run.hardwareReason()));
            default -> fail(vcpu, "unhandled KVM exit " + KvmRun.exitName(reason));
        }
        return !machine.stopping();
    }

    private void portIo(KvmRun run) {
        int port = run.ioPort();
        int size = run.ioSize();
        ByteBuffer data = run.ioData();
        boolean out = run.ioDirection() == KvmRun.IO_OUT;
        for (int i = 0, n = run.ioCount(); i < n; i++) {
            int at = i * size;
            if (out) {
                ports.write(port, size, get(data, at, size));
            } else {
                put(data, at, size, ports.read(port, size));
            }
        }
    }

    private void mmio(KvmRun run) {
        long address = run.mmioAddress();
        int size = run.mmioLength();
        ByteBuffer data = run.mmioData();
        if (run.mmioIsWrite()) {
            long value = size == 8 ? data.getLong(0) : get(data, 0, size) & 0xffffffffL;
            mmio.write(address, size, value);
        } else {
            long value = mmio.read(address, size);
            if (size == 8) data.putLong(0, value);
            else put(data, 0, size, (int) value);
        }
    }

    private void systemEvent(Vcpu vcpu, int type) {
        switch (type) {
            case KvmRun.SYSTEM_EVENT_SHUTDOWN -> machine.powerOff("guest shutdown event");
            case KvmRun.SYSTEM_EVENT_RESET -> machine.reset("guest reset event");
            default -> fail(vcpu, "guest crash event (type " + type + ")");
        }
    }

    private void fail(Vcpu vcpu, String why) {
        try {
            log.error("vcpu {}: {}\n{}\n{}", vcpu.id(), why, vcpu.regs(), vcpu.sregs());
        } catch (RuntimeException e) {
            log.error("vcpu {}: {} (registers unavailable: {})", vcpu.id(), why, e.getMessage());
        }
        machine.fail(why);
    }

    private static int get(ByteBuffer b, int at, int size) {
        return switch (size) {
            case 1 -> b.get(at) & 0xff;
            case 2 -> b.getShort(at) & 0xffff;
            default -> b.getInt(at);
        };
    }

    private static void put(ByteBuffer b, int at, int size, int value) {
        switch (size) {
            case 1 -> b.put(at, (byte) value);
            case 2 -> b.putShort(at, (short) value);
            default -> b.putInt(at, value);
        }
    }
}

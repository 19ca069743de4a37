package vmd.vm.boot;

/**
 * What the kvm layer must do to the boot vCPU before it first runs: load a {@link CpuState}
 * (direct kernel boot) or leave it exactly as KVM created it ({@link #ARCHITECTURAL_RESET},
 * firmware boot: real mode at F000:FFF0, executing the top of the flash).
 * Application processors are never touched: they wait for INIT/SIPI from the guest.
 */
public sealed interface VcpuSetup permits CpuState, VcpuSetup.Reset {
    /** Leave registers alone: the architectural reset state KVM gives a new vCPU. */
    Reset ARCHITECTURAL_RESET = Reset.INSTANCE;

    enum Reset implements VcpuSetup { INSTANCE }
}

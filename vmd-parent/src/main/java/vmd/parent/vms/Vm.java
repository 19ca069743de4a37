package vmd.parent.vms;

import vmd.parent.config.VmConfig;
import vmd.sys.Pty;

/**
 * A VM the daemon knows: its configuration, id, state, console and, while it runs, its
 * vm process. The console pty outlives vm process generations, so a rebooting guest
 * keeps its tty. Mutated only on the parent's event thread.
 */
public final class Vm {
    final int id;
    VmConfig config;
    VmState state;
    Pty console;
    VmProcess process;
    /** The device processes of the current generation (vioblk, vionet). */
    final java.util.List<DeviceProcess> devices = new java.util.ArrayList<>();
    String lastReason = "";
    /**
     * Each device's restart budget by its vm-side label: kept across guest reboots (a new
     * generation of processes), so a guest cannot reset it by rebooting; forgotten when
     * the VM stops.
     */
    final java.util.Map<String, RestartBudget> restartBudgets = new java.util.HashMap<>();
    /** Restarts of each device ("disk0", "net1") since the VM was defined, for metrics: never reset. */
    final java.util.Map<String, Long> deviceRestarts = new java.util.LinkedHashMap<>();
    boolean stopRequested;
    /** User who started it with vmctl (for instances); null when started from vm.conf. */
    int startedByUid = -1;

    Vm(int id, VmConfig config) {
        this.id = id;
        this.config = config;
        this.state = config.enabled() ? VmState.STOPPED : VmState.DISABLED;
    }

    public int id() {
        return id;
    }

    public String name() {
        return config.name();
    }

    public VmConfig config() {
        return config;
    }

    public VmState state() {
        return state;
    }

    public int pid() {
        return process == null ? -1 : process.pid();
    }

    /** The console tty's name as vmctl shows it ("pts/3"), or "-". */
    public String tty() {
        return console == null ? "-" : console.slavePath().replaceFirst("^/dev/", "");
    }

    public String ttyPath() {
        return console == null ? null : console.slavePath();
    }

    public String lastReason() {
        return lastReason;
    }

    /** The device processes of the current generation. */
    public java.util.List<DeviceProcess> devices() {
        return java.util.List.copyOf(devices);
    }

    /** How often each device ("disk0") was restarted since the VM was defined; absent: never. */
    public java.util.Map<String, Long> deviceRestarts() {
        return java.util.Map.copyOf(deviceRestarts);
    }
}

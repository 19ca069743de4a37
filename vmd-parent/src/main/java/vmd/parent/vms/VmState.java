package vmd.parent.vms;

/** A VM's state as vmctl status shows it. */
public enum VmState {
    STOPPED("stopped"), STARTING("starting"), RUNNING("running"), PAUSED("paused"), STOPPING("stopping"), DISABLED("disabled");

    private final String label;

    VmState(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}

package vmd.vm.devices;

/** What platform devices ask of the machine: the guest powered off or asked for a reset. */
public interface PowerControl {
    void powerOff(String why);

    void reset(String why);
}

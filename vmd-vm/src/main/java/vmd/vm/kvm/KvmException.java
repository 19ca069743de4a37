package vmd.vm.kvm;

/** KVM refused or lacks something the VM needs. */
public class KvmException extends RuntimeException {
    public KvmException(String message) {
        super(message);
    }
}

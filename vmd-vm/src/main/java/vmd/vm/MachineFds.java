package vmd.vm;

import vmd.imsg.VmParams;
import vmd.proc.ChildSession;

/** The descriptors the parent opened for this VM; -1 where none was sent. */
record MachineFds(int kvm, int console, int boot, int initrd) {
    static MachineFds take(ChildSession session) {
        return new MachineFds(session.takeFd(VmParams.FD_KVM), session.takeFd(VmParams.FD_CONSOLE),
                session.takeFd(VmParams.FD_BOOT), session.takeFd(VmParams.FD_INITRD));
    }
}

package vmd.vm;

import java.util.ArrayList;
import java.util.List;
import vmd.imsg.VmParams;
import vmd.proc.ChildSession;

/**
 * The descriptors the parent opened for this VM; -1 where none was sent. Disks come as
 * vhost-user sockets to their vioblk processes, never as image descriptors; network
 * interfaces as vhost-user sockets to their vionet processes, never as taps.
 */
record MachineFds(int kvm, int console, int boot, int initrd, List<Integer> disks, List<Integer> nics, int netRom,
                  int restore) {
    static MachineFds take(ChildSession session) {
        List<Integer> disks = new ArrayList<>();
        for (int i = 0; i < VmParams.MAX_DISKS; i++) {
            int fd = session.takeFd(VmParams.diskLabel(i));
            if (fd >= 0) disks.add(fd);
        }
        List<Integer> nics = new ArrayList<>();
        for (int i = 0; i < VmParams.MAX_NICS; i++) {
            int fd = session.takeFd(VmParams.nicLabel(i));
            if (fd >= 0) nics.add(fd);
        }
        return new MachineFds(session.takeFd(VmParams.FD_KVM), session.takeFd(VmParams.FD_CONSOLE),
                session.takeFd(VmParams.FD_BOOT), session.takeFd(VmParams.FD_INITRD), List.copyOf(disks), List.copyOf(nics),
                session.takeFd(VmParams.FD_NET_ROM), session.takeFd(VmParams.FD_RESTORE));
    }
}

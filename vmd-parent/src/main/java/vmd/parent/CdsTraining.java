package vmd.parent;

import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;

/**
 * Run once at build and install time with -XX:ArchiveClassesAtExit: loads what every
 * child loads on its way to ready (jnr's libc binding, logging, guest memory) so the
 * archive holds those classes and children skip their parsing and verification.
 */
public final class CdsTraining {
    private static final List<String> CHILD_MAINS = List.of(
            "vmd.vm.VmMain", "vmd.vioblk.VioblkMain", "vmd.vionet.VionetMain");

    public static void main(String[] args) throws Exception {
        org.slf4j.LoggerFactory.getLogger(CdsTraining.class).debug("training");
        GuestMemory mem = GuestMemory.create("cds-training", List.of(new MemoryRegion(0, 1 << 20, 0)));
        mem.putLong(0, 1);
        Fds.close(mem.fd());
        for (String main : CHILD_MAINS) {
            try {
                Class.forName(main, false, CdsTraining.class.getClassLoader());
            } catch (ClassNotFoundException notYet) {
                // a child not built yet in this tree
            }
        }
    }

    private CdsTraining() {}
}

package vmd.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ChildClassPathTest {
    private static final String DIST = String.join(":", "/l/jnr-constants.jar", "/l/jnr-ffi.jar", "/l/logback-classic.jar",
            "/l/logback-core.jar", "/l/netty-common.jar", "/l/slf4j-api.jar", "/l/vmd-common.jar", "/l/vmd-parent.jar",
            "/l/vmd-vioblk.jar", "/l/vmd-vionet.jar", "/l/vmd-vm.jar");

    @Test
    void theProcessesOfAVmGetTheirModulesTheSharedLibraryAndTheLoggingApiOnly() {
        String guest = "/l/jnr-constants.jar:/l/slf4j-api.jar:/l/vmd-common.jar:/l/vmd-vioblk.jar:/l/vmd-vionet.jar:/l/vmd-vm.jar";
        // One path for all three, in one order: the AOT cache they share serves only that path.
        for (String kind : java.util.List.of("vm", "vioblk", "vionet")) assertEquals(guest, ChildClassPath.forKind(DIST, kind), kind);
    }

    @Test
    void theControlProcessAndOtherLayoutsKeepTheWholePath() {
        assertEquals(DIST, ChildClassPath.forKind(DIST, "control"));
        String build = "/src/vmd-common/target/classes:/m2/vmd-vioblk-0.1.0-SNAPSHOT.jar:/m2/slf4j-api-2.0.17.jar";
        assertEquals(build, ChildClassPath.forKind(build, "vioblk"));
    }
}

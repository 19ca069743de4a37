package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vmd.parent.config.Accounts;
import vmd.parent.config.ConfigParser;
import vmd.parent.config.DeviceRestarts;
import vmd.parent.config.ParseResult;
import vmd.parent.config.PathResolver;
import vmd.parent.config.VmdConfig;
import vmd.proc.Privileges;

/**
 * The restart budget a device gets is vm.conf's: the VM's {@code device restarts}, else the
 * global one, handed to the registry as vmd does at start and reload.
 */
class ConfiguredRestartBudgetTest {

    private static VmRegistry registry(VmdConfig c) {
        VmRegistry r = new VmRegistry(Runnable::run, null, Privileges.UNCHANGED, null);
        r.deviceRestarts(c.deviceRestarts()); // as VmdMain
        return r;
    }

    private static VmdConfig parse(String text) {
        ParseResult r = new ConfigParser(Accounts.system(), PathResolver.asWritten()).parseText("vm.conf", text, Map.of());
        assertEquals(List.of(), r.messages());
        return r.config();
    }

    @Test
    void eachDeviceGetsItsVmsBudgetOrTheGlobalOne() {
        VmdConfig c = parse("""
                device restarts 5 per 10
                vm "global" { disk "/g.img" }
                vm "own" {
                	disk "/o.img"
                	device restarts 7 per 20
                }
                """);
        VmRegistry registry = registry(c);
        List<Vm> vms = registry.define(c.vms(), null);
        assertEquals("5 restarts in 10 s", registry.restartBudget(vms.get(0), "vioblk0").toString());
        assertEquals("7 restarts in 20 s", registry.restartBudget(vms.get(1), "vioblk0").toString());
        assertEquals("7 restarts in 20 s", registry.restartBudget(vms.get(1), "vionet0").toString());
    }

    @Test
    void withoutASettingItIsThreeAMinute() {
        VmdConfig c = parse("vm \"a\" { disk \"/a.img\" }\n");
        VmRegistry registry = registry(c);
        Vm vm = registry.define(c.vms(), null).get(0);
        assertEquals(DeviceRestarts.DEFAULT, c.deviceRestarts());
        assertEquals("3 restarts in 60 s", registry.restartBudget(vm, "vioblk0").toString());
    }

    @Test
    void theBudgetIsSpentAsConfigured() {
        VmdConfig c = parse("device restarts 2 per 30\nvm \"a\" { disk \"/a.img\" }\n");
        VmRegistry registry = registry(c);
        Vm vm = registry.define(c.vms(), null).get(0);
        RestartBudget b = registry.restartBudget(vm, "vioblk0");
        long s = 1_000_000_000L;
        assertEquals(List.of(true, true, false, true), List.of(b.tryRestart(0), b.tryRestart(s), b.tryRestart(29 * s),
                b.tryRestart(30 * s)));
        assertEquals(b, registry.restartBudget(vm, "vioblk0"), "one budget per device for the VM's life");
    }
}

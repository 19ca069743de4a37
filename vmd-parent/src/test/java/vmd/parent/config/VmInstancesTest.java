package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** vmctl start -t: instances and their permissions. */
class VmInstancesTest {

    private static final long M = 1024 * 1024;
    private static final Caller JOE = new Caller(1000, Set.of(1000));
    private static final Caller ALICE_IN_VMUSERS = new Caller(1001, Set.of(1001, 500));
    private static final Caller BOB = new Caller(1002, Set.of(1002));

    private static final InterfaceConfig IF0 =
            new InterfaceConfig(false, "tap1", "uplink", MacAddress.parse("00:11:22:33:44:55"), true, "g", -1, true);
    private static final InterfaceConfig IF1 = new InterfaceConfig(true, null, null, null, false, null, -1, true);

    private static VmConfig.Builder parentBuilder(Set<InstanceFlag> flags) {
        return VmConfig.builder("tmpl")
                .memory(1024 * M).cpus(2).boot("/vmlinuz").cmdline("console=ttyS0").initrd("/initrd")
                .disk("/tmpl.img", DiskFormat.QCOW2).cdrom("/cd.iso").iface(IF0).iface(IF1)
                .bootDevice(BootDevice.DISK)
                .owner(new Owner(1000, "joe", 20, "staff"))
                .allowInstance(new AllowInstance(flags, new Owner(1000, "joe", 500, "vmusers")));
    }

    private static VmConfig parent(InstanceFlag... flags) {
        return parentBuilder(flags.length == 0 ? Set.of() : Set.of(flags)).build();
    }

    private static VmConfig.Builder req(String name) {
        return VmConfig.builder(name);
    }

    private static InstanceException refused(VmConfig parent, VmConfig request, Caller caller) {
        return assertThrows(InstanceException.class, () -> VmInstances.create(parent, request, caller));
    }

    @Test
    void aBareInstanceInheritsEverythingButDisksAndIdentities() throws Exception {
        VmConfig i = VmInstances.create(parent(), req("i").build(), JOE);
        assertEquals("i", i.name());
        assertEquals("tmpl", i.instanceOf());
        assertEquals(1024 * M, i.memory());
        assertEquals(2, i.cpus());
        assertEquals("/vmlinuz", i.boot());
        assertEquals("console=ttyS0", i.cmdline());
        assertEquals("/initrd", i.initrd());
        assertEquals(BootDevice.DISK, i.bootDevice());
        assertEquals("/cd.iso", i.cdrom());
        assertEquals(List.of(), i.disks());
        assertEquals(List.of(IF0.withoutExclusive(), IF1), i.interfaces());
        assertNull(i.interfaces().get(0).name());
        assertNull(i.interfaces().get(0).lladdr());
        assertEquals(new Owner(1000, "joe", 20, "staff"), i.owner());
        assertEquals(AllowInstance.NONE, i.allowInstance());
    }

    @Test
    void whoMayCreateInstances() throws Exception {
        VmConfig p = parent();
        VmInstances.create(p, req("i").build(), Caller.ROOT);
        VmInstances.create(p, req("i").build(), JOE);
        VmInstances.create(p, req("i").build(), ALICE_IN_VMUSERS);
        InstanceException e = refused(p, req("i").build(), BOB);
        assertEquals(InstanceException.Reason.PERMISSION, e.reason());
        assertEquals("no permission to create vm instance", e.getMessage());
        // nobody but root without allow instance
        VmConfig closed = parentBuilder(Set.of()).allowInstance(AllowInstance.NONE).build();
        assertEquals("no permission to create vm instance", refused(closed, req("i").build(), JOE).getMessage());
        VmInstances.create(closed, req("i").build(), Caller.ROOT);
    }

    @Test
    void memoryAndCpus() throws Exception {
        assertEquals("no permission to set memory",
                refused(parent(), req("i").memory(2048 * M).build(), JOE).getMessage());
        // asking for what the parent has is not a change
        VmInstances.create(parent(), req("i").memory(1024 * M).build(), JOE);
        assertEquals(2048 * M,
                VmInstances.create(parent(InstanceFlag.MEMORY), req("i").memory(2048 * M).build(), JOE).memory());
        assertEquals(2048 * M, VmInstances.create(parent(), req("i").memory(2048 * M).build(), Caller.ROOT).memory());

        assertEquals("no permission to set cpus", refused(parent(), req("i").cpus(4).build(), JOE).getMessage());
        assertEquals(4, VmInstances.create(parent(InstanceFlag.CPUS), req("i").cpus(4).build(), JOE).cpus());
    }

    @Test
    void defaultsCompareAsTheirValues() throws Exception {
        VmConfig p = VmConfig.builder("p").allowInstance(new AllowInstance(Set.of(), new Owner(1000, null, -1, null)))
                .build();
        VmInstances.create(p, req("i").memory(512 * M).cpus(1).build(), JOE);
    }

    @Test
    void disks() throws Exception {
        assertEquals("no permission to set disks",
                refused(parent(), req("i").disk("/i.img", DiskFormat.AUTO).build(), JOE).getMessage());
        VmConfig i = VmInstances.create(parent(InstanceFlag.DISK), req("i").disk("/i.img", DiskFormat.AUTO).build(),
                JOE);
        assertEquals(List.of(new DiskConfig("/i.img", DiskFormat.AUTO)), i.disks());
        InstanceException e = refused(parent(InstanceFlag.DISK),
                req("i").disk("/tmpl.img", DiskFormat.AUTO).build(), Caller.ROOT);
        assertEquals(InstanceException.Reason.BUSY, e.reason());
        assertEquals("disk /tmpl.img cannot be reused", e.getMessage());
    }

    @Test
    void interfaces() throws Exception {
        InterfaceConfig other = new InterfaceConfig(false, null, "other", null, false, null, -1, true);
        assertEquals("no permission to set interfaces",
                refused(parent(), req("i").iface(other).build(), JOE).getMessage());
        // the same count with different settings is still a change
        assertEquals("no permission to set interfaces",
                refused(parent(), req("i").iface(other).iface(IF1).build(), JOE).getMessage());
        // the parent's own settings are not
        VmInstances.create(parent(), req("i").iface(IF0.withoutExclusive()).iface(IF1).build(), JOE);

        VmConfig i = VmInstances.create(parent(InstanceFlag.INTERFACE), req("i").iface(other).build(), JOE);
        assertEquals(List.of(other, IF1), i.interfaces());

        InterfaceConfig sameMac = new InterfaceConfig(false, null, null, IF0.lladdr(), false, null, -1, true);
        InstanceException e = refused(parent(InstanceFlag.INTERFACE), req("i").iface(sameMac).build(), Caller.ROOT);
        assertEquals(InstanceException.Reason.BUSY, e.reason());
        assertEquals("lladdr 00:11:22:33:44:55 cannot be reused", e.getMessage());
        InterfaceConfig sameTap = new InterfaceConfig(false, "tap1", null, null, false, null, -1, true);
        assertEquals("interface tap1 cannot be reused",
                refused(parent(), req("i").iface(sameTap).build(), Caller.ROOT).getMessage());
    }

    @Test
    void bootAndCdrom() throws Exception {
        assertEquals("no permission to set boot image",
                refused(parent(), req("i").boot("/other").build(), JOE).getMessage());
        assertEquals("no permission to set boot image",
                refused(parent(), req("i").cmdline("single").build(), JOE).getMessage());
        VmConfig i = VmInstances.create(parent(InstanceFlag.BOOT), req("i").cmdline("single").build(), JOE);
        assertEquals("single", i.cmdline());
        assertEquals("/vmlinuz", i.boot());
        assertEquals("no permission to set cdrom",
                refused(parent(), req("i").cdrom("/other.iso").build(), JOE).getMessage());
        assertEquals("/other.iso",
                VmInstances.create(parent(InstanceFlag.CDROM), req("i").cdrom("/other.iso").build(), JOE).cdrom());
    }

    @Test
    void owner() throws Exception {
        // a caller may make itself the owner
        VmConfig i = VmInstances.create(parent(), req("i").owner(new Owner(1001, "alice", -1, null)).build(),
                ALICE_IN_VMUSERS);
        assertEquals(new Owner(1001, "alice", 20, "staff"), i.owner());
        assertEquals("user mismatch",
                refused(parent(), req("i").owner(new Owner(1002, "bob", -1, null)).build(), JOE).getMessage());
        assertEquals("group mismatch",
                refused(parent(), req("i").owner(new Owner(-1, null, 500, "vmusers")).build(), JOE).getMessage());
        // root may give an instance to anyone
        assertEquals(1002, VmInstances.create(parent(), req("i").owner(new Owner(1002, "bob", -1, null)).build(),
                Caller.ROOT).owner().uid());
    }

    @Test
    void instancesOfInstances() throws Exception {
        AllowInstance mine = new AllowInstance(Set.of(InstanceFlag.MEMORY), Owner.NONE);
        assertEquals("cannot change instance permissions",
                refused(parent(), req("i").allowInstance(mine).build(), JOE).getMessage());
        assertEquals(mine, VmInstances.create(parent(), req("i").allowInstance(mine).build(), Caller.ROOT)
                .allowInstance());
        VmConfig p = parent(InstanceFlag.INSTANCE, InstanceFlag.MEMORY);
        assertEquals(p.allowInstance(), VmInstances.create(p, req("i").build(), JOE).allowInstance());
        assertEquals(AllowInstance.NONE, VmInstances.create(parent(InstanceFlag.MEMORY), req("i").build(), JOE)
                .allowInstance());
    }
}

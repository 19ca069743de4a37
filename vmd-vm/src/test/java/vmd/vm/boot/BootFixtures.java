package vmd.vm.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;

/** Guest memory, synthetic boot images and the prerequisite rule (skip, or fail under CI=true). */
final class BootFixtures {
    private BootFixtures() {}

    static final long MIB = 1024 * 1024;

    static GuestMemory memory(long ramSize) {
        return GuestMemory.create("boot-test", MemoryMap.ramRegions(ramSize));
    }

    static GuestMemory flatMemory(long size) {
        return GuestMemory.create("boot-test", List.of(new MemoryRegion(0, size, 0)));
    }

    /** A header description for a synthetic bzImage; tests change fields before {@link #build}. */
    static final class Kernel {
        int setupSects = 1;
        int version = 0x020F;
        int loadflags = BzImage.LOADED_HIGH;
        int xloadflags = BzImage.XLF_KERNEL_64 | BzImage.XLF_CAN_BE_LOADED_ABOVE_4G;
        long initrdAddrMax = 0x7FFF_FFFFL;
        long kernelAlignment = 0x20_0000;
        boolean relocatable = true;
        long cmdlineSize = 2047;
        long prefAddress = 0x100_0000L;
        long initSize = 0x80_0000L;
        int payloadSize = 0x1000;
        int jump = 0x6A; // header ends at 0x26C (protocol 2.15)

        byte[] payload() {
            byte[] p = new byte[payloadSize];
            for (int i = 0; i < p.length; i++) p[i] = (byte) (i * 7 + 3);
            return p;
        }

        byte[] build() {
            int setup = (setupSects == 0 ? 4 : setupSects) * 512 + 512;
            byte[] img = new byte[setup + payloadSize];
            ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
            b.put(0x1F1, (byte) setupSects);
            b.putInt(0x1F4, payloadSize / 16);
            b.putShort(0x1FA, (short) 0xFFFF);
            b.putShort(0x1FE, (short) 0xAA55);
            b.put(0x200, (byte) 0xEB);
            b.put(0x201, (byte) jump);
            b.put(0x202, (byte) 'H').put(0x203, (byte) 'd').put(0x204, (byte) 'r').put(0x205, (byte) 'S');
            b.putShort(0x206, (short) version);
            b.put(0x211, (byte) loadflags);
            b.putInt(0x214, 0x100000);
            b.putInt(0x22C, (int) initrdAddrMax);
            b.putInt(0x230, (int) kernelAlignment);
            b.put(0x234, (byte) (relocatable ? 1 : 0));
            b.putShort(0x236, (short) xloadflags);
            b.putInt(0x238, (int) cmdlineSize);
            b.putLong(0x258, prefAddress);
            b.putInt(0x260, (int) initSize);
            System.arraycopy(payload(), 0, img, setup, payloadSize);
            return img;
        }
    }

    static void require(boolean present, String what) {
        vmd.testing.Prerequisites.require(present, what);
    }

    static Path iasl() {
        for (String p : List.of("/usr/bin/iasl", "/usr/local/bin/iasl")) {
            if (Files.isExecutable(Path.of(p))) return Path.of(p);
        }
        require(false, "iasl (install Debian's acpica-tools)");
        return null;
    }

    static int sum(byte[] data) {
        int s = 0;
        for (byte x : data) s += x;
        return s & 0xFF;
    }
}

package vmd.vm.boot;

import static vmd.vm.boot.MemoryMap.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import vmd.memory.GuestMemory;

/**
 * Direct boot of an uncompressed 64-bit ELF kernel (vmlinux) through the PVH boot ABI
 * (Xen's hvm/start_info.h; Linux arch/x86/platform/pvh/head.S): PT_LOAD segments at their
 * physical addresses, an hvm_start_info (version 1, with the e820 map) at 0x7000, and
 * 32-bit flat protected mode at the XEN_ELFNOTE_PHYS32_ENTRY address with EBX pointing
 * at the start info. ELF kernels without that note are refused.
 */
public final class PvhBoot {
    private PvhBoot() {}

    public static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;
    public static final int START_INFO_MAGIC = 0x336E_C578;
    public static final int START_INFO_VERSION = 1;
    static final int START_INFO_SIZE = 0x38, MODLIST_ENTRY_SIZE = 32, MEMMAP_ENTRY_SIZE = 24;
    static final int PT_LOAD = 1, PT_NOTE = 4, EM_X86_64 = 62, ELFCLASS64 = 2, ELFDATA2LSB = 1;

    public record Segment(long paddr, long offset, long fileSize, long memSize) {}

    /** A parsed ELF kernel: its loadable segments and the PVH entry point. */
    public record Elf(List<Segment> segments, long pvhEntry) {
        public long end() {
            return segments.stream().mapToLong(s -> s.paddr() + s.memSize()).max().orElse(0);
        }
    }

    public record Result(Elf elf, long startInfoAddress, long cmdlineAddress, int cmdlineLength,
                         long initrdAddress, long initrdSize, List<E820Entry> memmap, CpuState cpu) {}

    public static boolean looksLikeElf(byte[] image) {
        return image.length >= 4 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
    }

    public static Elf parse(byte[] image) {
        if (!looksLikeElf(image)) throw new BootException("not an ELF file");
        if (image.length < 64) throw new BootException("ELF kernel truncated: " + image.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (image[4] != ELFCLASS64 || image[5] != ELFDATA2LSB || (b.getShort(18) & 0xFFFF) != EM_X86_64) {
            throw new BootException("ELF kernel is not a little-endian 64-bit x86-64 image");
        }
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xFFFF;
        int phnum = b.getShort(56) & 0xFFFF;
        if (phentsize < 56 || phoff < 0 || phoff + (long) phnum * phentsize > image.length) {
            throw new BootException("ELF kernel truncated: program headers run past the end of the file");
        }
        List<Segment> loads = new ArrayList<>();
        long entry = -1;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            int type = b.getInt(ph);
            long offset = b.getLong(ph + 8), paddr = b.getLong(ph + 24), filesz = b.getLong(ph + 32), memsz = b.getLong(ph + 40);
            if (type != PT_LOAD && type != PT_NOTE) continue;
            if (offset < 0 || filesz < 0 || offset + filesz > image.length || filesz < 0) {
                throw new BootException("ELF kernel truncated: segment " + i + " runs past the end of the file");
            }
            if (type == PT_LOAD) {
                if (memsz < filesz || paddr < 0) throw new BootException("ELF kernel segment " + i + " is malformed");
                if (memsz > 0) loads.add(new Segment(paddr, offset, filesz, memsz));
            } else if (entry < 0) {
                entry = findPvhEntry(b, (int) offset, (int) filesz);
            }
        }
        if (entry < 0) {
            throw new BootException("ELF kernels without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) are not supported;"
                    + " build Linux with CONFIG_PVH or boot its bzImage");
        }
        if (loads.isEmpty()) throw new BootException("ELF kernel has no loadable segments");
        return new Elf(List.copyOf(loads), entry);
    }

    /** Walks the notes in [offset, offset + size) for name "Xen", type 18; returns the entry or -1. */
    static long findPvhEntry(ByteBuffer b, int offset, int size) {
        int p = offset, end = offset + size;
        while (p + 12 <= end) {
            int namesz = b.getInt(p), descsz = b.getInt(p + 4), type = b.getInt(p + 8);
            if (namesz < 0 || descsz < 0) return -1;
            int name = p + 12;
            int desc = name + align4(namesz);
            if (desc + descsz > end) return -1;
            if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz >= 3 && b.get(name) == 'X' && b.get(name + 1) == 'e'
                    && b.get(name + 2) == 'n' && descsz >= 4) {
                // Linux emits a pointer-sized value; the entry is 32-bit by definition.
                return Integer.toUnsignedLong(b.getInt(desc));
            }
            p = desc + align4(descsz);
        }
        return -1;
    }

    private static int align4(int v) {
        return (v + 3) & ~3;
    }

    public static Result load(GuestMemory mem, long ramSize, byte[] image, Elf elf, String cmdline, byte[] initrd, long rsdpAddress) {
        checkRamSize(ramSize);
        long lowEnd = lowRamEnd(ramSize);
        for (Segment s : elf.segments()) {
            if (s.paddr() < KERNEL_ADDRESS) {
                throw new BootException(String.format("ELF kernel segment at 0x%x overlaps the boot area below 1 MiB", s.paddr()));
            }
            if (s.paddr() + s.memSize() > lowEnd) {
                throw new BootException(String.format("kernel does not fit in guest RAM: it needs memory up to 0x%x (%d MiB), the guest has %d MiB",
                        s.paddr() + s.memSize(), (s.paddr() + s.memSize() + MIB - 1) / MIB, lowEnd / MIB));
            }
        }
        String c = cmdline == null ? "" : cmdline;
        if (c.indexOf('\0') >= 0) throw new BootException("kernel command line contains a NUL character");
        byte[] text = c.getBytes(StandardCharsets.UTF_8);
        if (text.length > CMDLINE_MAX) {
            throw new BootException("kernel command line is " + text.length + " bytes long; this kernel accepts at most " + CMDLINE_MAX);
        }
        long initrdSize = initrd == null ? 0 : initrd.length;
        long initrdAddress = 0;
        if (initrdSize > 0) {
            long kernelEnd = LinuxBoot.alignUp(elf.end(), LinuxBoot.PAGE);
            initrdAddress = (lowEnd - initrdSize) & ~(LinuxBoot.PAGE - 1);
            if (initrdSize > lowEnd || initrdAddress < kernelEnd) {
                throw new BootException(String.format(
                        "initrd of %d bytes does not fit in guest RAM: only %d bytes are free between the kernel (ends 0x%x) and 0x%x",
                        initrdSize, Math.max(0, lowEnd - kernelEnd), elf.end(), lowEnd));
            }
        }

        for (Segment s : elf.segments()) {
            mem.buffer(s.paddr(), (int) s.fileSize()).put(image, (int) s.offset(), (int) s.fileSize());
            zero(mem, s.paddr() + s.fileSize(), s.memSize() - s.fileSize());
        }
        byte[] cmd = new byte[text.length + 1];
        System.arraycopy(text, 0, cmd, 0, text.length);
        mem.write(CMDLINE_ADDRESS, cmd);
        if (initrdSize > 0) mem.write(initrdAddress, initrd);

        List<E820Entry> memmap = MemoryMap.e820(ramSize);
        mem.write(PVH_START_INFO_ADDRESS, new byte[4096]);
        ByteBuffer si = mem.buffer(PVH_START_INFO_ADDRESS, START_INFO_SIZE);
        si.putInt(0x00, START_INFO_MAGIC);
        si.putInt(0x04, START_INFO_VERSION);
        si.putInt(0x08, 0);
        si.putInt(0x0C, initrdSize > 0 ? 1 : 0);
        si.putLong(0x10, initrdSize > 0 ? PVH_MODLIST_ADDRESS : 0);
        si.putLong(0x18, CMDLINE_ADDRESS);
        si.putLong(0x20, rsdpAddress);
        si.putLong(0x28, PVH_MEMMAP_ADDRESS);
        si.putInt(0x30, memmap.size());
        if (initrdSize > 0) {
            ByteBuffer mod = mem.buffer(PVH_MODLIST_ADDRESS, MODLIST_ENTRY_SIZE);
            mod.putLong(0, initrdAddress);
            mod.putLong(8, initrdSize);
        }
        ByteBuffer mm = mem.buffer(PVH_MEMMAP_ADDRESS, memmap.size() * MEMMAP_ENTRY_SIZE);
        for (int i = 0; i < memmap.size(); i++) {
            E820Entry e = memmap.get(i);
            mm.putLong(i * MEMMAP_ENTRY_SIZE, e.address());
            mm.putLong(i * MEMMAP_ENTRY_SIZE + 8, e.size());
            mm.putInt(i * MEMMAP_ENTRY_SIZE + 16, e.type());
        }
        if (PVH_MEMMAP_ADDRESS + (long) memmap.size() * MEMMAP_ENTRY_SIZE > RESERVED_FOR_GUEST_TRAMPOLINE) {
            throw new IllegalStateException("PVH memory map too long");
        }
        CpuState cpu = CpuSetup.protectedMode32(mem, elf.pvhEntry(), PVH_START_INFO_ADDRESS);
        return new Result(elf, PVH_START_INFO_ADDRESS, CMDLINE_ADDRESS, text.length, initrdAddress, initrdSize, memmap, cpu);
    }

    private static void zero(GuestMemory mem, long at, long size) {
        byte[] zeros = new byte[(int) Math.min(size, 1 << 20)];
        while (size > 0) {
            int n = (int) Math.min(size, zeros.length);
            mem.buffer(at, n).put(zeros, 0, n);
            at += n;
            size -= n;
        }
    }
}

package vmd.vm.boot;

/** One e820 memory-map entry: [address, address + size) of the given type. */
public record E820Entry(long address, long size, int type) {
    public static final int RAM = 1, RESERVED = 2, ACPI = 3, NVS = 4, UNUSABLE = 5;
    /** struct boot_e820_entry: addr (8), size (8), type (4). */
    public static final int ZERO_PAGE_SIZE = 20;

    public E820Entry {
        if (address < 0 || size <= 0) throw new IllegalArgumentException("bad e820 entry " + address + "+" + size);
    }

    public long end() {
        return address + size;
    }
}

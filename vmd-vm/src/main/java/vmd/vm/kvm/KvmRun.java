package vmd.vm.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A vCPU's shared struct kvm_run page, read after KVM_RUN returns: why the guest
 * exited and the data of its port or MMIO access (offsets from linux/kvm.h, x86-64).
 */
public final class KvmRun {
    public static final int EXIT_UNKNOWN = 0, EXIT_EXCEPTION = 1, EXIT_IO = 2, EXIT_HYPERCALL = 3, EXIT_DEBUG = 4;
    public static final int EXIT_HLT = 5, EXIT_MMIO = 6, EXIT_IRQ_WINDOW_OPEN = 7, EXIT_SHUTDOWN = 8;
    public static final int EXIT_FAIL_ENTRY = 9, EXIT_INTR = 10, EXIT_INTERNAL_ERROR = 17, EXIT_SYSTEM_EVENT = 24;
    public static final int SYSTEM_EVENT_SHUTDOWN = 1, SYSTEM_EVENT_RESET = 2, SYSTEM_EVENT_CRASH = 3;
    public static final int IO_IN = 0, IO_OUT = 1;

    private static final int IMMEDIATE_EXIT = 1, EXIT_REASON = 8, UNION = 32;

    private final ByteBuffer page;

    KvmRun(long address, int size) {
        this.page = vmd.sys.Native.buffer(address, size);
    }

    public int exitReason() {
        return page.getInt(EXIT_REASON);
    }

    public void immediateExit(boolean on) {
        page.put(IMMEDIATE_EXIT, (byte) (on ? 1 : 0));
    }

    // io: u8 direction, u8 size, u16 port, u32 count, u64 data_offset
    public int ioDirection() {
        return page.get(UNION);
    }

    public int ioSize() {
        return page.get(UNION + 1);
    }

    public int ioPort() {
        return page.getShort(UNION + 2) & 0xffff;
    }

    public int ioCount() {
        return page.getInt(UNION + 4);
    }

    /** The bytes of the port access (size * count), in the kvm_run mapping itself. */
    public ByteBuffer ioData() {
        int offset = (int) page.getLong(UNION + 8);
        return page.slice(offset, ioSize() * ioCount()).order(ByteOrder.LITTLE_ENDIAN);
    }

    // mmio: u64 phys_addr, u8 data[8], u32 len, u8 is_write
    public long mmioAddress() {
        return page.getLong(UNION);
    }

    public int mmioLength() {
        return page.getInt(UNION + 16);
    }

    public boolean mmioIsWrite() {
        return page.get(UNION + 20) != 0;
    }

    public ByteBuffer mmioData() {
        return page.slice(UNION + 8, 8).order(ByteOrder.LITTLE_ENDIAN);
    }

    // internal: u32 suberror, u32 ndata, u64 data[16]
    public int internalSuberror() {
        return page.getInt(UNION);
    }

    public long[] internalData() {
        int n = Math.min(page.getInt(UNION + 4), 16);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = page.getLong(UNION + 8 + 8 * i);
        return out;
    }

    // system_event: u32 type
    public int systemEventType() {
        return page.getInt(UNION);
    }

    // fail_entry: u64 hardware_entry_failure_reason; ex: u32 exception, u32 error_code
    public long hardwareReason() {
        return page.getLong(UNION);
    }

    public static String exitName(int reason) {
        return switch (reason) {
            case EXIT_UNKNOWN -> "UNKNOWN";
            case EXIT_EXCEPTION -> "EXCEPTION";
            case EXIT_IO -> "IO";
            case EXIT_HYPERCALL -> "HYPERCALL";
            case EXIT_DEBUG -> "DEBUG";
            case EXIT_HLT -> "HLT";
            case EXIT_MMIO -> "MMIO";
            case EXIT_SHUTDOWN -> "SHUTDOWN";
            case EXIT_FAIL_ENTRY -> "FAIL_ENTRY";
            case EXIT_INTR -> "INTR";
            case EXIT_INTERNAL_ERROR -> "INTERNAL_ERROR";
            case EXIT_SYSTEM_EVENT -> "SYSTEM_EVENT";
            default -> "exit " + reason;
        };
    }
}

package vmd.parent.config;

/** The limits and defaults of vm.conf, from OpenBSD's vmd.h / vmm.h unless noted. */
public final class Limits {
    private Limits() {
    }

    /** VM_MAX_DISKS_PER_VM. */
    public static final int MAX_DISKS = 4;
    /** VM_MAX_NICS_PER_VM. */
    public static final int MAX_NICS = 4;
    /** VMM_MAX_NAME_LEN: sizeof the name buffer, so names are at most 63 bytes. */
    public static final int NAME_LEN = 64;
    /** IF_NAMESIZE (Linux IFNAMSIZ): interface and group names are at most 15 bytes. */
    public static final int IF_NAMESIZE = 16;
    /** RT_TABLEID_MAX. */
    public static final int RT_TABLEID_MAX = 255;
    /** PATH_MAX on Linux (OpenBSD's is 1024). */
    public static final int PATH_MAX = 4096;
    /** VM_DEFAULT_MEMORY. */
    public static final long DEFAULT_MEMORY = 512L * 1024 * 1024;
    /** Memory is at least one megabyte and is rounded down to megabytes. */
    public static final long MIN_MEMORY = 1024L * 1024;
    /** VMM_MAX_VM_MEM_SIZE (OpenBSD 7.x: 128 GiB). */
    public static final long MAX_MEMORY = 128L * 1024 * 1024 * 1024;
    /** VMM_MAX_VCPUS_PER_VM; the bound of the Linux {@code cpus} extension. */
    public static final int MAX_CPUS = 64;
    /** Default vCPU count. */
    public static final int DEFAULT_CPUS = 1;
    /** Linux x86 COMMAND_LINE_SIZE (including the NUL). */
    public static final int CMDLINE_SIZE = 2048;
    /** Default unprivileged user for child processes (VMD_USER). */
    public static final String DEFAULT_USER = "_vmd";
    /** Default {@code local prefix}. */
    public static final String DEFAULT_LOCAL_PREFIX = "100.64.0.0/10";
    /** AGENTX_MASTER_PATH. */
    public static final String AGENTX_MASTER_PATH = "/var/agentx/master";
    /** sizeof(sockaddr_un.sun_path): a Unix socket path is shorter (Linux's {@code metrics socket}). */
    public static final int SUN_PATH_LEN = 108;
    /** Nested {@code include} depth (OpenBSD has no limit; a loop exhausts descriptors). */
    public static final int MAX_INCLUDE_DEPTH = 32;
    /** Bytes read for one configuration, its includes included: a bound on time and memory. */
    public static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;
}

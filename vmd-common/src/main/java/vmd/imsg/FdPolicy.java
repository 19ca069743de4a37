package vmd.imsg;

/** Whether a message type travels with a descriptor. Checked on both send and receive. */
public enum FdPolicy {
    /** Never carries a descriptor; a frame flagged HASFD is a protocol error. */
    NONE,
    /** Always carries exactly one descriptor; a frame without HASFD is a protocol error. */
    REQUIRED,
    /** May carry one descriptor. */
    OPTIONAL
}

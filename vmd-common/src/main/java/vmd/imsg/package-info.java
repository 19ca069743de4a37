/**
 * imsg: the framed message channel between vmd's processes, after OpenBSD's imsg(3).
 *
 * <p>A frame is a 16-byte little-endian header ({@link vmd.imsg.ImsgHeader}) and a payload,
 * at most {@link vmd.imsg.ImsgHeader#MAX_IMSGSIZE} bytes in all, with at most one descriptor
 * attached (SCM_RIGHTS) to the frame's first byte. Every message type is one constant of
 * {@link vmd.imsg.ImsgType}; payloads are small records with explicit
 * {@code encode(PayloadWriter)} / {@code decode(PayloadReader)} codecs (no Java serialization).
 *
 * <p>One concern per class: {@link vmd.imsg.ImsgEncoder} and {@link vmd.imsg.ImsgDecoder} turn
 * messages into bytes and back without touching a socket; {@link vmd.imsg.ImsgChannel} moves
 * them over a connected stream socket and closes the channel, never the process, on a
 * malformed frame.
 */
package vmd.imsg;

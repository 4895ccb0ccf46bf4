/**
 * Decoding pieces of a Buffer without the checks `buf.toString(encoding, start, end)` repeats on every
 * call (the encoding's name, the bounds): the intake decodes a few short fields of most records, and
 * those checks cost as much as the decoding. `utf8Slice` and `latin1Slice` are what `toString` calls
 * underneath; where a runtime lacks them, `toString` stands in.
 */

interface Slicing {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

const native = typeof (Buffer.prototype as unknown as Partial<Slicing>).utf8Slice === "function";

/** The UTF-8 text of `b` between `start` and `end` (invalid sequences become U+FFFD, as a decoder does). */
export function utf8(b: Buffer, start: number, end: number): string {
  return native ? (b as unknown as Slicing).utf8Slice(start, end) : b.toString("utf8", start, end);
}

/** The text of bytes known to be ASCII (each byte one character). */
export function ascii(b: Buffer, start: number, end: number): string {
  return native ? (b as unknown as Slicing).latin1Slice(start, end) : b.toString("latin1", start, end);
}

/** Whether a string has no lone surrogate, so its UTF-8 bytes decode back to it. */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

import { terminalText } from "../../core/report/inert.ts";

/** Where a command writes: stdout for results, stderr for messages. Tests pass string collectors. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /**
   * A file's bytes on stdout (`phantom rectify`'s template or diff, which a user redirects): as they
   * are when stdout is not a terminal, so a template keeps every character; else as `out`. Without
   * it, `out`.
   */
  file?(text: string): void;
  /**
   * Text of printable ASCII and line feeds, as bytes (`phantom inspect --json`'s lines, written from
   * the capture's bytes without a string): the caller guarantees no other byte, so the terminal's choke
   * point has nothing to escape; the bytes are lent for the call only. Without it, the caller uses `out`.
   */
  ascii?(bytes: Uint8Array): void;
}

/**
 * The terminal's choke point (issue 15): console text reaches stdout and stderr only with its control
 * characters escaped visibly (`terminalText`: no ESC/CSI/OSC sequence, no lone CR, no C1, no bidi
 * override; the newline, the tab and a CRLF pass). The escapes are JSON's, so `--json` output stays
 * valid JSON with the same values. Idempotent: wrapping twice changes nothing.
 */
export function inertOutput(io: Output): Output {
  if (INERT.has(io)) return io;
  const { file, ascii } = io;
  const inert: Output = {
    out: (text) => io.out(terminalText(text)),
    err: (text) => io.err(terminalText(text)),
    file: file ? (text) => file.call(io, text) : (text) => io.out(terminalText(text)),
    // Printable ASCII and line feeds: nothing to escape.
    ...(ascii ? { ascii: (bytes: Uint8Array) => ascii.call(io, bytes) } : {}),
  };
  INERT.add(inert);
  return inert;
}

/** Outputs that already escape, so wrapping one again costs no second pass over the text. */
const INERT = new WeakSet<Output>();

export const processOutput: Output = inertOutput({
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
  file: (text) => {
    process.stdout.write(process.stdout.isTTY ? terminalText(text) : text);
  },
  ascii: (bytes) => {
    // A copy: the bytes are only lent.
    process.stdout.write(Buffer.from(bytes));
  },
});

/** Exit codes (docs/architecture.md, CLI): 0 success, 1 input or usage error, 2 runtime failure. */
export const EXIT = { ok: 0, usage: 1, failure: 2 } as const;

/** An input or usage problem the user can fix; exits 1 with the message. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

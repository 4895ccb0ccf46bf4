/** Where a command writes: stdout for results, stderr for messages. Tests pass string collectors. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

/** Exit codes (docs/architecture.md, CLI): 0 success, 1 input or usage error, 2 runtime failure. */
export const EXIT = { ok: 0, usage: 1, failure: 2 } as const;

/** An input or usage problem the user can fix; exits 1 with the message. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

import { inertJson } from "../core/report/inert.ts";
import { redact } from "../core/secrets.ts";

/**
 * Structured JSON logs: a fixed message and the data in fields, one line each, so Datadog can group
 * by message and facet by field (stack, window, eventID). Secrets never go in fields.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/**
 * A logger writing JSON lines through `write` (stdout in Lambda, where CloudWatch collects it). Fields
 * carry console text, so each line is `inertJson`: what JSON.stringify leaves raw (DEL, C1, U+2028/2029,
 * bidi controls) is escaped too, and a line is one line for any reader, with the same values.
 */
export function jsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
  now: () => number = Date.now,
): Logger {
  return {
    log(level, message, fields = {}) {
      // Fields carry console text and AWS answers: their secrets are redacted (core/secrets.ts).
      const safe = redact(fields) as Record<string, unknown>;
      write(
        `${inertJson(JSON.stringify({ level, message, time: new Date(now()).toISOString(), ...safe }))}\n`,
      );
    },
  };
}

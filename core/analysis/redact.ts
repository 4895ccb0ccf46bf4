/**
 * Secret redaction for the analysis: the one table lives in core/secrets.ts (issue 15); this module
 * keeps the analysis' imports where they were.
 */
export {
  holdsSecret,
  isSecretKey,
  looksSecret,
  REDACTED,
  redact,
  redactAt,
  redactString,
  redactStrings,
  redactText,
} from "../secrets.ts";

/**
 * Secret redaction, applied before anything leaves Phantom: prompts, output files, PR bodies, logs
 * and metrics. Two nets: by key (passwords, tokens, keys, Lambda environment variables) and by value
 * (strings that look like credentials whatever their key).
 */

export const REDACTED = "[redacted]";

/** Key names that hold secrets, anywhere in the name (`SECRET_KEY`, `DbPassword`, `SecretString`). */
const SECRET_WORD =
  /pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth[-_]?key|signature|session[-_]?key|connection[-_]?string|^dsn$/i;
/** ...unless the name says it holds a reference or setting, not the secret (`SecretArn`, `PasswordPolicy`). */
const REFERENCE_SUFFIX =
  /(arn|arns|id|ids|name|names|type|version|versions|policy|length|units|enabled|rotation\w*|lambda\w*|ref|source|location|stage|header|validity\w*)$/i;
const SAFE_KEYS = new Set(["Key", "KeyName", "KeyId", "KmsKeyId", "Token"]);

/** Values that are credentials whatever the key says. */
const SECRET_VALUES: readonly RegExp[] = [
  /\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b/, // AWS access key ids
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, // JWT
  /\b(ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}/, // GitHub tokens
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /\bsk-(ant-)?[A-Za-z0-9_-]{20,}/, // API secret keys
  /\b[a-z]+:\/\/[^\s:/@]+:[^\s@/]+@/i, // credentials in URLs
  /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/, // AWS secret access keys
];

/** Keys under which every value is a secret: Lambda's environment variables. */
const SECRET_CONTAINERS = new Set(["Variables"]);

function isSecretKey(key: string): boolean {
  return !SAFE_KEYS.has(key) && SECRET_WORD.test(key) && !REFERENCE_SUFFIX.test(key);
}

/** True when a string looks like a credential. */
export function looksSecret(value: string): boolean {
  return SECRET_VALUES.some((pattern) => pattern.test(value));
}

/**
 * Returns a copy of `value` with secrets replaced by `[redacted]`. Idempotent, never throws, never
 * mutates its input. `{Key, Value}` pairs (tags) are redacted by their `Key`.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 64) return REDACTED;
  if (typeof value === "string") return looksSecret(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  // `{Key, Value}` (tags) and `{Name, Value}` (ECS and CodeBuild environments) name their value.
  const tagKey =
    typeof record.Key === "string" ? record.Key : typeof record.Name === "string" ? record.Name : undefined;
  const entries = Object.entries(record).map(([k, v]): [string, unknown] => {
    if (SECRET_CONTAINERS.has(k) && v !== null && typeof v === "object" && !Array.isArray(v)) {
      return [k, Object.fromEntries(Object.keys(v).map((name) => [name, REDACTED]))];
    }
    if (k === "Value" && tagKey !== undefined && isSecretKey(tagKey)) return [k, REDACTED];
    if (isSecretKey(k) && (typeof v === "string" || typeof v === "number")) return [k, REDACTED];
    return [k, redact(v, depth + 1)];
  });
  return Object.fromEntries(entries);
}

/** Redacts a property value given its JSON-pointer path (`/Environment/Variables/DB_PASSWORD`). */
export function redactAt(path: string, value: unknown): unknown {
  const segments = path.split("/").filter(Boolean);
  const variables = segments.indexOf("Variables");
  if (variables !== -1 && variables < segments.length - 1) return REDACTED;
  const last = segments.at(-1);
  if (last === "Variables" && value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.keys(value).map((name) => [name, REDACTED]));
  }
  if (last !== undefined && isSecretKey(last) && value !== null && value !== undefined) return REDACTED;
  return redact(value);
}

const SECRET_LINE = /^(\s*-?\s*"?)([A-Za-z0-9_]+)("?\s*:\s*)(.+)$/;
const INTRINSIC_OR_REFERENCE = /^\s*["']?\s*(!|\{\{resolve:|\{\s*"?(Ref|Fn::))/;
const PEM_BEGIN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z ]*PRIVATE KEY-----/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * Redacts secrets in template text line by line: literal values of secret-named keys (not
 * intrinsics or dynamic references, which hold no secret), every value under a Lambda-style
 * `Variables:` block (YAML by indentation, JSON by braces), private key blocks whole, and
 * credential-looking values anywhere.
 */
export function redactText(text: string): string {
  let pem = false;
  let variablesIndent: number | undefined;
  let jsonDepth: number | undefined;
  return text
    .split("\n")
    .map((line) => {
      if (pem) {
        if (PEM_END.test(line)) pem = false;
        return line.replace(/\S.*$/, REDACTED);
      }
      if (PEM_BEGIN.test(line) && !PEM_END.test(line)) {
        pem = true;
        return line.replace(/-----BEGIN[\s\S]*$/, REDACTED);
      }
      // JSON: inside `"Variables": { ... }` every value is a secret.
      if (jsonDepth !== undefined) {
        jsonDepth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);
        if (jsonDepth <= 0) jsonDepth = undefined;
        else return line.replace(/^(\s*"[^"]*"\s*:\s*).+?(,?)\s*$/, `$1"${REDACTED}"$2`);
      }
      // YAML: lines indented under `Variables:` are name: value pairs.
      if (variablesIndent !== undefined) {
        if (line.trim() === "" || indentOf(line) > variablesIndent) {
          return line.replace(/^(\s*[^:#\s][^:]*:\s*)\S.*$/, `$1${REDACTED}`);
        }
        variablesIndent = undefined;
      }
      if (/^\s*"Variables"\s*:\s*\{\s*$/.test(line)) jsonDepth = 1;
      else if (/^\s*Variables\s*:\s*$/.test(line)) variablesIndent = indentOf(line);
      let out = line;
      const m = SECRET_LINE.exec(line);
      if (m !== null) {
        const [, lead, key, sep, value] = m;
        const literal = value !== undefined && !INTRINSIC_OR_REFERENCE.test(value);
        if (key !== undefined && literal && isSecretKey(key) && value?.trim() !== "") {
          const comma = value?.trimEnd().endsWith(",") ? "," : "";
          out = `${lead}${key}${sep}${REDACTED}${comma}`;
        }
      }
      for (const pattern of SECRET_VALUES) out = out.replace(new RegExp(pattern.source, "g"), REDACTED);
      return out;
    })
    .join("\n");
}

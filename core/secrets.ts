import { gunzipSync } from "node:zlib";

/**
 * The one secrets table (issue 15): what Phantom treats as a secret, and how it redacts one, before
 * anything leaves it: a prompt, `analysis.json`, a pull request (body, drift record, rectified
 * template, parameter file), a log line, a metric tag, or a window event's request kept in DynamoDB.
 *
 * A value is a secret
 * - by its own key, in any case, anywhere in the tree (`MasterUserPassword`, `db_pwd`, `SECRET_KEY`),
 *   unless the key names a reference or a setting (`SecretArn`, `PasswordPolicy`, `MinimumPasswordLength`);
 * - by its sibling name key: `{Key, Value}` (tags), `{Name, Value}` (ECS, CodeBuild, SSM
 *   `PutParameter`, an `AWS::SSM::Parameter`), `{ParameterKey, ParameterValue}`, when the name is a
 *   secret's (`MYSQL_PWD`, `/prod/db/password`) or the pair is a `SecureString`; a
 *   `{HeaderName, HeaderValue}` custom header (CloudFront `OriginCustomHeaders`) always, since such
 *   headers exist to carry a shared secret;
 * - every value under a Lambda-style `Variables` map;
 * - by its shape anywhere inside a string (`SHAPES`): private key blocks (PEM, PGP, OpenSSH),
 *   `Bearer`/`Basic` credentials, `password=…`-style pairs in query and connection strings, URLs
 *   with credentials, AWS access key ids and secret access keys, and well-known token formats;
 * - inside base64 (`UserData` of instances and launch templates, or any base64 text): decoded, and
 *   the whole value redacted when anything inside is secret; `UserData` that cannot be read is
 *   redacted whole (a value in doubt is never written).
 *
 * Only the secret part of a string is replaced where that is clear (a connection string keeps its
 * host, `Authorization: Bearer [redacted]`), else the whole value. Every function here is pure,
 * never throws and never mutates its input; redacting twice changes nothing more.
 */

export const REDACTED = "[redacted]";

// ── keys ─────────────────────────────────────────────────────────────────────────────────────────

/** Words that make a key (compacted: lower case, separators dropped) name a secret, anywhere in it. */
const SECRET_WORDS =
  /password|passwd|passphrase|pwd|secret|credential|token|apikey|accesskey|privatekey|authkey|sessionkey|signingkey|signature|connectionstring|connstr/;
/** Whole keys that are secrets on their own. */
const SECRET_KEYS = new Set(["pass", "dsn", "authorization", "proxyauthorization", "cookie", "setcookie"]);
/** A key whose last word is `pass` (`db_pass`, `DB_PASS`, `mysqlPass`), not `bypass` or `compass`. */
const PASS_WORD = /(^|[^a-z])pass$/;
const CAMEL_PASS = /[a-z0-9]Pass$/;
/**
 * ...unless the key names a reference to a secret or a setting about one, not the secret itself
 * (`SecretArn`, `PasswordPolicy`, `MinimumPasswordLength`, `TokenValidityUnits`, `SecretStringTemplate`).
 */
const REFERENCE =
  /(arns?|ids?|names?|types?|versions?|polic(y|ies)|length|units|enabled|ref|source|location|stage|header|template|age|prevention|expiry|expiration|days|required|count|size|format|mode|from|strategy|httptokens)$|^(generate|exclude|require|manage)|rotation|lambda|validity/;
/** Keys that hold identifiers or continuation handles, not secrets. */
const SAFE_KEYS = new Set([
  "key",
  "keyname",
  "keyid",
  "kmskeyid",
  "token",
  "nexttoken",
  "clienttoken",
  "idempotencytoken",
  "continuationtoken",
  "paginationtoken",
  "servicetoken",
]);

function compact(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Whether a key (or a name in a `{Name, Value}` pair) holds a secret: `DB_PASSWORD`, `/prod/db/password`. */
export function isSecretKey(key: string): boolean {
  const k = compact(key);
  if (k === "" || SAFE_KEYS.has(k)) return false;
  if (SECRET_KEYS.has(k)) return true;
  const named = SECRET_WORDS.test(k) || PASS_WORD.test(key.toLowerCase()) || CAMEL_PASS.test(key);
  return named && !REFERENCE.test(k);
}

/** Keys under which every value is a secret: a Lambda function's environment `Variables`. */
const SECRET_MAPS = new Set(["variables"]);
/** The name and value fields of a `{Name, Value}`-style pair. */
const NAME_FIELDS = ["key", "name", "headername", "parameterkey", "parametername"];
const VALUE_FIELDS = new Set(["value", "headervalue", "parametervalue"]);
/** Value fields that are secrets whatever their name: a custom header's value. */
const ALWAYS_SECRET_VALUES = new Set(["headervalue"]);
/** A `UserData` key: its base64 is read, and a value that cannot be read is redacted whole. */
const ENCODED_KEYS = new Set(["userdata"]);

// ── shapes inside strings ────────────────────────────────────────────────────────────────────────

interface Shape {
  readonly name: string;
  readonly pattern: RegExp;
  /** The replacement; the whole match by default. */
  readonly replace?: (match: string, ...groups: string[]) => string;
}

/**
 * A key in text: one run of key characters, whose secret word `isSecretKey` finds in the replacer.
 * No alternation inside the run, so a long run costs linear time, not quadratic.
 */
const KEY_RUN = "[A-Za-z0-9_.-]+";
/**
 * What joins a key to its value in text: `=` (query and connection strings, scripts), `: ` (YAML,
 * prose) or a quoted JSON `":"`, never a bare `:` (an ARN's `secretsmanager:us-east-1`, a dynamic
 * reference's `SecretString:password`).
 */
const ASSIGN = `(?:["']?[ \\t]*=[ \\t]*["']?|["'][ \\t]*:[ \\t]*["']?|:[ \\t]+["']?)`;

const AUTHORIZATION = /^(proxy-)?authorization$/i;

/** Credentials by shape: the table every redaction reads. */
export const SHAPES: readonly Shape[] = [
  {
    name: "private key block (PEM, PGP, OpenSSH)",
    pattern: /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$(?![\s\S]))/g,
  },
  {
    name: "Bearer, Basic or other Authorization credentials",
    pattern: /\b(Authorization|Proxy-Authorization)(["']?\s*[:=]\s*["']?)([A-Za-z]+\s+)?([^\s"',;]+)/gi,
    replace: (_m, header: string, sep: string, scheme = "") => `${header}${sep}${scheme}${REDACTED}`,
  },
  {
    name: "Bearer token",
    pattern: /\b(Bearer\s+)(?!\[redacted\])[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replace: (_m, scheme: string) => `${scheme}${REDACTED}`,
  },
  {
    name: "Basic credentials",
    pattern: /\b(Basic\s+)([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/g,
    replace: (match, scheme: string, token: string) =>
      (decodedText(token) ?? "").includes(":") ? `${scheme}${REDACTED}` : match,
  },
  {
    name: "credentials in a URL",
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@"'<>]*):([^\s@/"'<>]+)@/gi,
    replace: (match, scheme: string, _user: string, password: string) =>
      password === REDACTED ? match : `${scheme}${REDACTED}@`,
  },
  {
    name: "a secret-named key=value or key: value pair (query and connection strings, scripts, JSON text)",
    // Not a JSON pointer's last segment (`/Variables/DB_PASSWORD: the live value…` is Phantom's own "where: what").
    pattern: new RegExp(`(?<![/A-Za-z0-9_.-])(${KEY_RUN})(${ASSIGN})([^\\s"'&;,)}\\]]+)`, "g"),
    replace: (match, key: string, sep: string, value: string) =>
      // An Authorization header keeps its scheme: its own shape above redacted the credential.
      !isSecretKey(key) || keptValue(value) || AUTHORIZATION.test(key) ? match : `${key}${sep}${REDACTED}`,
  },
  {
    name: "a secret-named command-line flag (`--password hunter2`)",
    pattern: /(?<![A-Za-z0-9_-])(--?[A-Za-z0-9-]+)([ \t]+)(?!-)([^\s"'&;,)}\]]+)/g,
    replace: (match, flag: string, sep: string, value: string) =>
      !isSecretKey(flag) || keptValue(value) ? match : `${flag}${sep}${REDACTED}`,
  },
  { name: "AWS access key id", pattern: /\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  {
    name: "AWS secret access key",
    pattern:
      /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
  },
  { name: "JWT", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  { name: "GitHub token", pattern: /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}/g },
  { name: "GitLab token", pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { name: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  {
    name: "API secret key",
    pattern: /\b(?:sk-(?:ant-)?[A-Za-z0-9_-]{20,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,})/g,
  },
  { name: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: "npm token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
];

/** A value that is a reference, not a secret: a dynamic reference, an intrinsic, a placeholder, already redacted. */
function keptValue(value: string): boolean {
  return /^(\{\{resolve:|\$\{|!|\{|\[|\[redacted\]|<|\*+$)/.test(value.trim());
}

/** Base64 text (whitespace allowed) long enough to hide something. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64_TOKEN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const MAX_DECODED = 1 << 20;

/** The text base64 decodes to (gunzipped when it is gzip), or undefined when it is not readable text. */
function decodedText(encoded: string): string | undefined {
  const compacted = encoded.replace(/\s+/g, "");
  if (compacted.length < 8 || compacted.length % 4 === 1 || !BASE64.test(compacted)) return undefined;
  let bytes: Buffer = Buffer.from(compacted, "base64");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_DECODED });
    } catch {
      return undefined;
    }
  }
  const text = bytes.toString("utf8");
  if (text.includes("\uFFFD")) return undefined;
  // Mostly printable text, not binary that happens to decode.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c) || code === 0x7f) {
      return undefined;
    }
  }
  return text;
}

/** Whether decoded text holds a secret: a shape, or a secret-named assignment of a script or config. */
function textHoldsSecret(text: string, depth: number): boolean {
  return redactShapes(text, depth + 1) !== text;
}

function redactShapes(text: string, depth: number): string {
  let out = text;
  for (const shape of SHAPES) {
    shape.pattern.lastIndex = 0;
    out = out.replace(shape.pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.filter((g): g is string => typeof g === "string" || g === undefined) as string[];
      return shape.replace ? shape.replace(match, ...groups) : REDACTED;
    });
  }
  if (depth < 2) {
    // Base64 inside the text (a UserData script, a header): redacted whole when anything inside is secret.
    out = out.replace(BASE64_TOKEN, (token) => {
      const decoded = decodedText(token);
      return decoded !== undefined && textHoldsSecret(decoded, depth) ? REDACTED : token;
    });
  }
  return out;
}

/**
 * A string with every secret part replaced: the shapes of {@link SHAPES}, and base64 that decodes to
 * text holding a secret (replaced whole). A string that is entirely base64 and hides a secret becomes
 * `[redacted]`.
 */
export function redactString(text: string): string {
  const decoded = text.length >= 8 ? decodedText(text) : undefined;
  if (decoded !== undefined && decoded !== text && textHoldsSecret(decoded, 0)) return REDACTED;
  return redactShapes(text, 0);
}

/** True when a string holds a credential by its shape. */
export function looksSecret(value: string): boolean {
  return redactString(value) !== value;
}

// ── trees ────────────────────────────────────────────────────────────────────────────────────────

/** What the keys above a value say about it. */
interface Scope {
  /** Every scalar below is a secret (a `Variables` map, a secret pair's value). */
  readonly all?: boolean;
  /** Under a secret key: scalars are secrets until a key names a reference again. */
  readonly key?: boolean;
  /** Under `UserData`: unreadable text is redacted whole. */
  readonly encoded?: boolean;
}

const MAX_DEPTH = 64;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The name a `{Name, Value}`-style pair gives its value, and whether that value is a secret. */
function pairSecret(record: Record<string, unknown>): boolean {
  let type: unknown;
  let name: string | undefined;
  for (const [k, v] of Object.entries(record)) {
    const c = compact(k);
    if (c === "type") type = v;
    else if (name === undefined && NAME_FIELDS.includes(c) && typeof v === "string") name = v;
  }
  return (
    (typeof type === "string" && compact(type) === "securestring") ||
    (name !== undefined && isSecretKey(name))
  );
}

function redactScalar(value: unknown, scope: Scope): unknown {
  if (typeof value === "string") {
    if (value === "" || value === REDACTED) return value;
    if (scope.all || scope.key) return REDACTED;
    if (scope.encoded) {
      // UserData: read its base64; anything secret inside, or text that cannot be read, is redacted whole.
      const decoded = decodedText(value);
      if (decoded !== undefined) return textHoldsSecret(decoded, 0) ? REDACTED : value;
      // Base64 that is not readable text (binary, a broken gzip) cannot be checked: in doubt.
      if (value.length >= 16 && BASE64.test(value.replace(/\s+/g, ""))) return REDACTED;
      return redactShapes(value, 0) === value ? value : REDACTED;
    }
    return redactString(value);
  }
  if (typeof value === "number" || typeof value === "bigint")
    return scope.all || scope.key ? REDACTED : value;
  return value;
}

function redactNode(value: unknown, scope: Scope, depth: number): unknown {
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactNode(v, scope, depth + 1));
  if (!isRecord(value)) return redactScalar(value, scope);
  const pair = pairSecret(value);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]): [string, unknown] => [
      k,
      redactNode(v, childScope(scope, k, pair), depth + 1),
    ]),
  );
}

function childScope(scope: Scope, key: string, pairIsSecret: boolean): Scope {
  const c = compact(key);
  const all =
    scope.all || SECRET_MAPS.has(c) || (VALUE_FIELDS.has(c) && (pairIsSecret || ALWAYS_SECRET_VALUES.has(c)));
  const encoded = scope.encoded || ENCODED_KEYS.has(c);
  // A key naming a reference (`SecretArn`) ends a secret key's reach; a secret key starts it.
  const named = isSecretKey(key) ? true : REFERENCE.test(c) || SAFE_KEYS.has(c) ? false : scope.key;
  return { ...(all ? { all } : {}), ...(named ? { key: named } : {}), ...(encoded ? { encoded } : {}) };
}

/**
 * A copy of `value` with every secret replaced by `[redacted]` (see the module comment). Booleans,
 * `null` and empty strings are kept: they say nothing secret.
 */
export function redact(value: unknown): unknown {
  return redactNode(value, {}, 0);
}

/**
 * A copy with every string's credential-shaped parts redacted ({@link redactString}), keys and
 * structure untouched: the last net over Phantom's own documents (`analysis.json`), whose keys are
 * its contract (`inputTokens` is a count, not a token).
 */
export function redactStrings<T>(value: T): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return redactString(v);
    if (depth > MAX_DEPTH) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)]));
    return v;
  };
  return walk(value, 0) as T;
}

/** A JSON pointer's segments, unescaped. */
function segmentsOf(path: string): string[] {
  return path
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function childOf(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  return isRecord(value) ? value[segment] : undefined;
}

/**
 * Redacts a property value given its JSON-pointer path (`/Environment/Variables/DB_PASSWORD`,
 * `/Tags/2/Value`). `properties` are the resource's whole properties (the template's and the live
 * ones, as drift gives them): a `Value` is judged by its sibling name there (`{Key: db_pwd, Value}`,
 * an SSM parameter's `Name` for `/Value`). A value field whose pair cannot be found is in doubt, and
 * redacted.
 */
export function redactAt(path: string, value: unknown, properties: readonly unknown[] = []): unknown {
  const segments = segmentsOf(path);
  // One environment variable, absent or not, is shown as redacted: its presence is all that is said.
  const variable = segments.slice(0, -1).some((s) => SECRET_MAPS.has(compact(s)));
  if (value === null || value === undefined) return variable && value === null ? REDACTED : value;
  let scope: Scope = {};
  let parents: unknown[] = [...properties];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const found = parents.filter(isRecord);
    const pair = found.some(pairSecret);
    const isValueField = VALUE_FIELDS.has(compact(segment));
    // A value field whose pair Phantom cannot see is in doubt.
    const unseen = last && isValueField && found.length === 0 && !/^\d+$/.test(segment);
    scope = childScope(scope, segment, pair || unseen);
    parents = parents.map((p) => childOf(p, segment)).filter((p) => p !== undefined);
  }
  return redactNode(value, scope, 0);
}

/**
 * The JSON pointers under `path` where `value` holds a secret (what {@link redactAt} would change, or a
 * redaction marker already there), outermost first; empty when it holds none.
 */
export function secretPaths(path: string, value: unknown, properties: readonly unknown[] = []): string[] {
  if (value === null || value === undefined) return [];
  const found: string[] = [];
  const walk = (at: string, raw: unknown, redacted: unknown, depth: number) => {
    if (depth > MAX_DEPTH || found.length >= 20) return;
    if (Array.isArray(raw) && Array.isArray(redacted)) {
      raw.forEach((v, i) => {
        walk(`${at}/${i}`, v, redacted[i], depth + 1);
      });
    } else if (isRecord(raw) && isRecord(redacted)) {
      for (const k of Object.keys(raw)) {
        walk(`${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, raw[k], redacted[k], depth + 1);
      }
    } else if (raw !== redacted || (typeof raw === "string" && raw.includes(REDACTED))) {
      found.push(at);
    }
  };
  walk(path, value, redactAt(path, value, properties), 0);
  return found;
}

/** Whether redaction would change a value: it holds a secret (or a redaction marker) somewhere. */
export function holdsSecret(path: string, value: unknown, properties: readonly unknown[] = []): boolean {
  if (value === null || value === undefined) return false;
  if (JSON.stringify(value)?.includes(REDACTED)) return true;
  return JSON.stringify(redactAt(path, value, properties)) !== JSON.stringify(value);
}

// ── template text ────────────────────────────────────────────────────────────────────────────────

const SECRET_LINE = /^(\s*-?\s*"?)([A-Za-z0-9_.-]+)("?\s*:\s*)(.+)$/;
const INTRINSIC_OR_REFERENCE = /^\s*["']?\s*(!|\{\{resolve:|\{\s*"?(Ref|Fn::))/;
const NAME_LINE = /^(\s*-?\s*)"?(Key|Name|HeaderName|ParameterKey|ParameterName)"?\s*:(.*)$/;
const VALUE_LINE = /^(\s*-?\s*)"?(Value|HeaderValue|ParameterValue)"?\s*:\s*(.+)$/;
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The indentation a `- Key: x` item's fields share (the dash counts as indentation). */
function fieldIndent(line: string): number {
  const m = /^(\s*-?\s*)/.exec(line);
  return m?.[1]?.length ?? 0;
}

/** A name line's value, without its quotes, comma and comment. */
function nameValue(raw: string | undefined): string {
  return (raw ?? "")
    .replace(/\s#.*$/, "")
    .trim()
    .replace(/,$/, "")
    .trim()
    .replace(/^["']|["']$/g, "");
}

/** Whether the `Value:` line at `index` belongs to a pair named as a secret (a nearby `Key:`/`Name:` line). */
function valueOfSecretPair(lines: readonly string[], index: number): boolean {
  const line = lines[index] ?? "";
  const value = VALUE_LINE.exec(line);
  if (value === null) return false;
  if (compact(value[2] ?? "") === "headervalue") return true;
  const indent = fieldIndent(line);
  for (const step of [-1, 1]) {
    for (let j = index + step; j >= 0 && j < lines.length && Math.abs(j - index) <= 4; j += step) {
      const other = lines[j] ?? "";
      if (other.trim() === "") continue;
      if (fieldIndent(other) !== indent && indentOf(other) <= indentOf(line) - 2) break;
      const name = NAME_LINE.exec(other);
      if (name !== null && fieldIndent(other) === indent) return isSecretKey(nameValue(name[3]));
      if (step === 1 && /^\s*-/.test(other)) break;
      if (step === -1 && /^\s*-/.test(other) && fieldIndent(other) === indent) {
        const own = NAME_LINE.exec(other);
        return own !== null && isSecretKey(nameValue(own[3]));
      }
    }
  }
  return false;
}

/**
 * Redacts secrets in template text line by line: literal values of secret-named keys (not
 * intrinsics or dynamic references, which hold no secret), the `Value` of a secret-named
 * `Key`/`Name` pair, every value under a Lambda-style `Variables:` block (YAML by indentation, JSON
 * by braces), private key blocks whole, and every shape of {@link SHAPES} anywhere.
 */
export function redactText(text: string): string {
  let pem = false;
  let variablesIndent: number | undefined;
  let jsonDepth: number | undefined;
  const lines = text.split("\n");
  return lines
    .map((line, index) => {
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
        const literal = value !== undefined && !INTRINSIC_OR_REFERENCE.test(value) && value.trim() !== "";
        const secret = key !== undefined && (isSecretKey(key) || valueOfSecretPair(lines, index));
        if (literal && secret) {
          const comma = value?.trimEnd().endsWith(",") ? "," : "";
          out = `${lead}${key}${sep}${REDACTED}${comma}`;
        }
      }
      return redactShapes(out, 0);
    })
    .join("\n");
}

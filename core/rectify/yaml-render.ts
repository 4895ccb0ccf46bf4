import { parse } from "yaml";
import { isIntrinsicKey, isRecord, type ScalarStyle, type ScalarValue, shortTag } from "./tree.ts";

/**
 * Writes new YAML in the style the template already uses: its indentation step, where it puts a
 * sequence's `-` under a key, its quote character, its line ending. Used only for the parts a
 * rectification adds or replaces; everything else keeps its bytes.
 */

export interface YamlStyle {
  /** Indentation step of nested mappings (usually 2). */
  readonly indent: number;
  /** Column of a sequence's `-` relative to its key: 0 (`Key:\n- a`) or the step (`Key:\n  - a`). */
  readonly seqIndent: number;
  /** The quote the template uses most, for strings that cannot be plain. */
  readonly quote: "double" | "single";
  readonly eol: string;
}

/** The style of a template too small to tell: 2-space steps, indented sequences, double quotes. */
export const DEFAULT_YAML_STYLE: YamlStyle = { indent: 2, seqIndent: 2, quote: "double", eol: "\n" };

/** C0 controls other than tab and line breaks, and DEL: YAML cannot hold them unescaped. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}
const FLOW_INDICATORS = /[,[\]{}]/;
const PLAIN_START = /^[^\s\-?:,[\]{}#&*!|>'"%@`]/;

/**
 * Whether a string can be written plain and read back as the same string by YAML 1.2 (the `yaml`
 * package, cfn-lint's newer parsers) and YAML 1.1 (where `yes`, `on`, `0777`, `1:30` are not strings).
 */
export function isPlainSafe(value: string, flow: boolean): boolean {
  if (value === "" || value !== value.trim() || value.includes("\n") || value.includes("\t")) return false;
  if (hasControl(value) || !PLAIN_START.test(value)) return false;
  if (value.includes(": ") || value.includes(" #") || value.endsWith(":")) return false;
  if (flow && FLOW_INDICATORS.test(value)) return false;
  for (const version of ["1.2", "1.1"] as const) {
    try {
      if (parse(value, { version, logLevel: "silent" }) !== value) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function quoted(value: string, quote: "double" | "single"): string {
  if (quote === "single" && !hasControl(value) && !/[\n\r\t]/.test(value)) {
    return `'${value.replaceAll("'", "''")}'`;
  }
  return JSON.stringify(value);
}

/**
 * A scalar on one line. `preferred` is the style of the value it replaces: quoted stays quoted (with
 * the same quote), plain stays plain where that reads back the same.
 */
export function scalarText(
  value: ScalarValue,
  preferred: ScalarStyle | undefined,
  style: YamlStyle,
  flow: boolean,
): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written in a template`);
    return String(value);
  }
  if (preferred === "double") return JSON.stringify(value);
  if (preferred === "single") return quoted(value, "single");
  if (isPlainSafe(value, flow)) return value;
  return quoted(value, style.quote);
}

/**
 * A literal block scalar (`|`, `|-`, `|+`) for multi-line text, as lines: the header (with `tail`, e.g.
 * a comment, after it) then the content at `indent`. Undefined when literal style cannot hold the
 * text exactly (leading spaces on the first line, control characters).
 */
export function literalBlock(value: string, indent: number, tail = ""): string[] | undefined {
  if (hasControl(value) || value.includes("\r") || value.trim() === "") return undefined;
  let body = value;
  let chomp = "-";
  if (body.endsWith("\n")) {
    body = body.slice(0, -1);
    chomp = body.endsWith("\n") ? "+" : "";
  }
  const lines = body.split("\n");
  if (lines.find((l) => l !== "")?.startsWith(" ")) return undefined;
  const pad = " ".repeat(indent);
  return [`|${chomp}${tail}`, ...lines.map((l) => (l === "" ? "" : `${pad}${l}`))];
}

/** `!Ref X`, `!GetAtt A.B`, `!Sub "..."`, `!Select [0, x]` for a long-form intrinsic with a simple argument. */
function shortIntrinsic(value: unknown, style: YamlStyle, flow: boolean): string | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  const fn = keys[0];
  if (keys.length !== 1 || fn === undefined || !isIntrinsicKey(fn)) return undefined;
  const arg = value[fn];
  if (fn === "Fn::GetAtt" && Array.isArray(arg) && arg.every((a) => typeof a === "string")) {
    return `!GetAtt ${arg.join(".")}`;
  }
  const scalar = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
  if (scalar(arg)) return `${shortTag(fn)} ${scalarText(arg as ScalarValue, undefined, style, flow)}`;
  if (Array.isArray(arg) && arg.every((a) => scalar(a) || shortIntrinsic(a, style, true) !== undefined)) {
    return `${shortTag(fn)} ${flowText(arg, style)}`;
  }
  return undefined;
}

function isScalar(value: unknown): value is ScalarValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function assertWritable(value: unknown): void {
  if (
    value === undefined ||
    typeof value === "function" ||
    typeof value === "symbol" ||
    typeof value === "bigint"
  ) {
    throw new TypeError(`${String(value)} cannot be written in a template`);
  }
}

/** A key: plain when safe, else quoted. */
export function keyText(key: string, style: YamlStyle, flow = false): string {
  return isPlainSafe(key, flow) ? key : quoted(key, style.quote);
}

/** A value in flow style (`[a, b]`, `{Key: a, Value: b}`), on one line. */
export function flowText(value: unknown, style: YamlStyle): string {
  assertWritable(value);
  const intrinsic = shortIntrinsic(value, style, true);
  if (intrinsic !== undefined) return intrinsic;
  if (isScalar(value)) return scalarText(value, undefined, style, true);
  if (Array.isArray(value)) return `[${value.map((v) => flowText(v, style)).join(", ")}]`;
  if (isRecord(value)) {
    const pairs = Object.entries(value).map(([k, v]) => `${keyText(k, style, true)}: ${flowText(v, style)}`);
    return pairs.length === 0 ? "{}" : `{${pairs.join(", ")}}`;
  }
  throw new TypeError(`${String(value)} cannot be written in a template`);
}

/** The text after `key:` / `- ` for a value that fits on that line, else undefined (a block follows). */
function inlineText(value: unknown, style: YamlStyle): string | undefined {
  const intrinsic = shortIntrinsic(value, style, false);
  if (intrinsic !== undefined) return intrinsic;
  if (Array.isArray(value) && value.length === 0) return "[]";
  if (isRecord(value) && Object.keys(value).length === 0) return "{}";
  if (isScalar(value) && !(typeof value === "string" && value.includes("\n"))) {
    return scalarText(value, undefined, style, false);
  }
  return undefined;
}

/** `key: value` at column `col`, with a nested block under it when the value needs one. */
export function pairLines(key: string, value: unknown, col: number, style: YamlStyle): string[] {
  assertWritable(value);
  const head = `${" ".repeat(col)}${keyText(key, style)}:`;
  const inline = inlineText(value, style);
  if (inline !== undefined) return [`${head} ${inline}`];
  if (typeof value === "string") {
    const block = literalBlock(value, col + style.indent);
    return block ? [`${head} ${block[0]}`, ...block.slice(1)] : [`${head} ${JSON.stringify(value)}`];
  }
  const nested = Array.isArray(value) ? col + style.seqIndent : col + style.indent;
  return [head, ...blockLines(value, nested, style)];
}

/** `- value` at column `col`; a mapping starts on the dash line. */
export function itemLines(value: unknown, col: number, style: YamlStyle): string[] {
  assertWritable(value);
  const dash = `${" ".repeat(col)}- `;
  const inline = inlineText(value, style);
  if (inline !== undefined) return [`${dash}${inline}`];
  if (typeof value === "string") {
    const block = literalBlock(value, col + 2);
    return block ? [`${dash}${block[0]}`, ...block.slice(1)] : [`${dash}${JSON.stringify(value)}`];
  }
  if (Array.isArray(value)) return [`${dash}${flowText(value, style)}`];
  const lines = blockLines(value, col + 2, style);
  const [first, ...rest] = lines;
  return first === undefined ? [`${dash}{}`] : [`${dash}${first.slice(col + 2)}`, ...rest];
}

/** A mapping or sequence as block lines at column `col`. */
export function blockLines(value: unknown, col: number, style: YamlStyle): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => itemLines(v, col, style));
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => pairLines(k, v, col, style));
  const inline = inlineText(value, style);
  return [`${" ".repeat(col)}${inline ?? JSON.stringify(value)}`];
}

import {
  type CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  parseDocument,
  type YAMLMap,
  type YAMLSeq,
  type Node as YamlNode,
} from "yaml";
import {
  duplicateKeyMessages,
  duplicateYamlKeys,
  lineIndex,
  templateSizeProblem,
} from "../template/bounds.ts";
import { DocumentError, type EditableDocument, type SourceProblem, type TextEdit } from "./document.ts";
import {
  type IntrinsicNode,
  intrinsicName,
  isIntrinsicKey,
  lineOf,
  type MapEntry,
  type MapNode,
  type NodePath,
  type ScalarNode,
  type ScalarStyle,
  type ScalarValue,
  type SeqNode,
  type TemplateNode,
} from "./tree.ts";
import {
  DEFAULT_YAML_STYLE,
  flowText,
  itemLines,
  keyText,
  literalBlock,
  pairLines,
  scalarText,
  type YamlStyle,
} from "./yaml-render.ts";

/**
 * A YAML template opened for byte-preserving edits. It is parsed with the `yaml` package
 * (`parseDocument` with `keepSourceTokens`): the Document gives each node's source range, the CST
 * tokens give the offsets of `-` and `:` indicators. Edits splice the source text at those offsets
 * and never re-serialise the document, so comments, blank lines, key order, quoting, flow
 * collections and short-form tags outside the edited node keep their bytes.
 * @see https://eemeli.org/yaml/#documents
 */

/** Where a node sits in its parent, for edits that rewrite it whole. */
type Owner =
  | { readonly kind: "entry"; readonly keyStart: number; readonly colon: number | undefined }
  | { readonly kind: "item"; readonly dash: number | undefined }
  | { readonly kind: "root" };

interface Layout {
  readonly owner: Owner;
  /** Block sequences: offset of each item's `-`. */
  readonly dashes?: readonly (number | undefined)[];
  /** Flow collections: offset of `[` / `{`, and where each item starts (its tag included). */
  readonly open?: number;
  readonly itemStarts?: readonly number[];
}

const STYLE_OF: Record<string, ScalarStyle> = {
  PLAIN: "plain",
  QUOTE_DOUBLE: "double",
  QUOTE_SINGLE: "single",
  BLOCK_LITERAL: "literal",
  BLOCK_FOLDED: "folded",
};

type FlowItem = CST.CollectionItem;

function tokenOffset(tokens: readonly CST.SourceToken[] | undefined, type: string): number | undefined {
  return tokens?.find((t) => t.type === type)?.offset;
}

/** Start of a flow item: its tag or anchor when it has one, else its key or value. */
function flowItemStart(item: FlowItem | undefined): number | undefined {
  if (item === undefined) return undefined;
  const prop = item.start.find((t) => t.type === "tag" || t.type === "anchor");
  if (prop) return prop.offset;
  const key = item.key as { offset?: number } | null | undefined;
  if (key && typeof key.offset === "number") return key.offset;
  const value = item.value as { offset?: number } | undefined;
  return typeof value?.offset === "number" ? value.offset : undefined;
}

/** A source range `[start, end)`. */
interface Region {
  readonly start: number;
  readonly end: number;
}

/** The lexer's markers that stand for no source text (document, flow-error end, scalar). */
const LEXER_MARKERS = new Set(["\x02", "\x18", "\x1f"]);

/** Offset of the quote that closes the quoted scalar opening at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === "\\") i++;
    else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

const LENIENT_MESSAGE =
  "a multi-line quoted string whose continuation lines are indented less than YAML allows (CloudFormation reads it; strict parsers do not)";

/**
 * Multi-line quoted strings whose continuation lines sit at or left of their parent's indentation:
 * YAML ends the scalar at the first such line (`Missing closing "quote`) and everything after it is
 * lost, while CloudFormation reads the string to its closing quote. Their line breaks are replaced by
 * spaces in a copy of the text used only for parsing: offsets stay the same, so every other node keeps
 * its exact source range, and the strings themselves become opaque regions nothing edits.
 */
function lenientQuotes(text: string): { text: string; regions: Region[] } {
  let parsed = text;
  const regions: Region[] = [];
  // Each round repairs the first unterminated quoted scalar the lexer meets, then lexes again.
  for (let round = 0; round < 100; round++) {
    let offset = 0;
    let repaired: Region | undefined;
    for (const token of new Lexer().lex(parsed)) {
      if (LEXER_MARKERS.has(token)) continue;
      if (token[0] === '"' || token[0] === "'") {
        const close = closingQuote(parsed, offset);
        if (close !== offset + token.length - 1) {
          const region = { start: offset, end: close + 1 };
          if (close !== -1 && /[\r\n]/.test(parsed.slice(offset, close))) repaired = region;
          break;
        }
      }
      offset += token.length;
    }
    if (!repaired) break;
    const { start, end } = repaired;
    parsed = parsed.slice(0, start) + parsed.slice(start, end).replace(/[\r\n]/g, " ") + parsed.slice(end);
    regions.push(repaired);
  }
  return { text: parsed, regions };
}

class YamlBuilder {
  readonly layouts = new Map<TemplateNode, Layout>();
  readonly counts = { double: 0, single: 0 };
  readonly indents: number[] = [];
  readonly seqIndents: number[] = [];

  constructor(
    readonly text: string,
    private readonly lenient: readonly Region[] = [],
  ) {}

  column(offset: number): number {
    return offset - (this.text.lastIndexOf("\n", offset - 1) + 1);
  }

  build(node: unknown, path: NodePath, flow: boolean, owner: Owner, at: number): TemplateNode {
    const built = this.buildNode(node, path, flow, owner, at);
    if (!this.layouts.has(built)) this.layouts.set(built, { owner });
    return built;
  }

  private buildNode(node: unknown, path: NodePath, flow: boolean, owner: Owner, at: number): TemplateNode {
    if (node === null || node === undefined) {
      return { kind: "scalar", path, start: at, end: at, flow, value: null, style: "plain" };
    }
    if (isAlias(node)) {
      const [start, end] = node.range ?? [at, at];
      return { kind: "opaque", path, start, end, flow, reason: `the YAML alias *${node.source}` };
    }
    const yamlNode = node as YamlNode;
    const [start, end] = yamlNode.range ?? [at, at];
    const tag = yamlNode.tag;
    if (tag?.startsWith("!")) {
      const arg = this.untagged(yamlNode, path, flow, owner, start);
      const source = `${tag} ${this.text.slice(start, end).trim().replace(/\s+/g, " ")}`;
      const intrinsic: IntrinsicNode = {
        kind: "intrinsic",
        path,
        start,
        end,
        flow,
        fn: intrinsicName(tag),
        arg,
        source: source.length > 90 ? `${source.slice(0, 87)}...` : source,
      };
      this.layouts.set(intrinsic, { owner });
      return intrinsic;
    }
    const built = this.untagged(yamlNode, path, flow, owner, start);
    if (built.kind === "map" && built.entries.length === 1) {
      const only = built.entries[0];
      if (only && isIntrinsicKey(only.key)) {
        const source = this.text.slice(only.keyStart, built.end).trim().replace(/\s+/g, " ");
        const intrinsic: IntrinsicNode = {
          kind: "intrinsic",
          path,
          start: built.start,
          end: built.end,
          flow,
          fn: only.key,
          arg: only.value,
          source: source.length > 90 ? `${source.slice(0, 87)}...` : source,
        };
        this.layouts.set(intrinsic, this.layouts.get(built) ?? { owner });
        return intrinsic;
      }
    }
    return built;
  }

  private untagged(node: YamlNode, path: NodePath, flow: boolean, owner: Owner, at: number): TemplateNode {
    const [start, end] = node.range ?? [at, at];
    if (isScalar(node) && this.lenient.some((r) => start < r.end && end > r.start)) {
      return { kind: "opaque", path, start, end, flow, reason: LENIENT_MESSAGE };
    }
    if (isScalar(node)) {
      const style = STYLE_OF[String(node.type)] ?? "plain";
      if (style === "double") this.counts.double++;
      if (style === "single") this.counts.single++;
      const raw = node.value;
      const value: ScalarValue =
        raw === null || raw === undefined
          ? null
          : typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean"
            ? raw
            : String(raw);
      return { kind: "scalar", path, start, end, flow, value, style };
    }
    if (isMap(node)) return this.buildMap(node, path, flow || node.flow === true, owner, start, end);
    if (isSeq(node)) return this.buildSeq(node, path, flow || node.flow === true, owner, start, end);
    return { kind: "opaque", path, start, end, flow, reason: "an unsupported YAML node" };
  }

  private buildMap(
    node: YAMLMap,
    path: NodePath,
    flow: boolean,
    owner: Owner,
    start: number,
    end: number,
  ): MapNode {
    const token = node.srcToken as CST.BlockMap | CST.FlowCollection | undefined;
    const items = (token?.items ?? []) as FlowItem[];
    const entries: MapEntry[] = [];
    node.items.forEach((pair, i) => {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      const key = String(pair.key.value);
      const keyStart = pair.key.range?.[0] ?? start;
      const keyEnd = pair.key.range?.[1] ?? keyStart;
      const colon = tokenOffset(items[i]?.sep, "map-value-ind");
      const value = this.build(
        pair.value,
        [...path, key],
        flow,
        { kind: "entry", keyStart, colon },
        colon === undefined ? keyEnd : colon + 1,
      );
      entries.push({ key, keyStart, value });
    });
    const map: MapNode = { kind: "map", path, start, end, flow, entries };
    if (flow) {
      this.layouts.set(map, {
        owner,
        open: (token as CST.FlowCollection | undefined)?.start?.offset ?? start,
        itemStarts: entries.map((e) => e.keyStart),
      });
    } else {
      for (const e of entries) {
        const child = e.value;
        const first = child.kind === "map" && !child.flow ? child.entries[0] : undefined;
        if (first) this.indents.push(this.column(first.keyStart) - this.column(e.keyStart));
        const dash = child.kind === "seq" && !child.flow ? this.layouts.get(child)?.dashes?.[0] : undefined;
        if (dash !== undefined) this.seqIndents.push(this.column(dash) - this.column(e.keyStart));
      }
    }
    return map;
  }

  private buildSeq(
    node: YAMLSeq,
    path: NodePath,
    flow: boolean,
    owner: Owner,
    start: number,
    end: number,
  ): SeqNode {
    const token = node.srcToken as CST.BlockSequence | CST.FlowCollection | undefined;
    const cstItems = (token?.items ?? []) as FlowItem[];
    const dashes = flow ? [] : cstItems.map((item) => tokenOffset(item.start, "seq-item-ind"));
    const items = node.items.map((item, i) => {
      const dash = dashes[i];
      return this.build(
        item,
        [...path, i],
        flow,
        { kind: "item", dash },
        dash === undefined ? start : dash + 1,
      );
    });
    const seq: SeqNode = { kind: "seq", path, start, end, flow, items };
    this.layouts.set(
      seq,
      flow
        ? {
            owner,
            open: (token as CST.FlowCollection | undefined)?.start?.offset ?? start,
            itemStarts: items.map((item, i) => flowItemStart(cstItems[i]) ?? item.start),
          }
        : { owner, dashes },
    );
    return seq;
  }
}

function mode(values: readonly number[], fallback: number): number {
  const counts = new Map<number, number>();
  for (const v of values) if (v > 0 && v <= 8) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = fallback;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount) [best, bestCount] = [v, c];
  return best;
}

function modeWithZero(values: readonly number[], fallback: number): number {
  const zeros = values.filter((v) => v === 0).length;
  const positive = values.filter((v) => v > 0);
  return zeros > positive.length ? 0 : mode(positive, fallback);
}

/**
 * Opens YAML text. YAML errors are kept as problems (the text is left alone there), not thrown.
 * Duplicate keys are found in one linear pass (`duplicateYamlKeys`, core/template/bounds.ts) rather
 * than by the `yaml` package's quadratic `uniqueKeys` check, with the same offsets.
 * @throws {DocumentError} for a text over CloudFormation's 1 MB template limit, before parsing it.
 */
export function openYaml(text: string): EditableDocument {
  const tooLarge = templateSizeProblem(text);
  if (tooLarge !== undefined) throw new DocumentError(`the template ${tooLarge}`);
  const options = { keepSourceTokens: true, logLevel: "silent", uniqueKeys: false } as const;
  const errorsOf = (d: ReturnType<typeof parseDocument>) => d.errors.length + duplicateYamlKeys(d).length;
  let doc = parseDocument(text, options);
  let lenient: Region[] = [];
  if (errorsOf(doc) > 0) {
    const repaired = lenientQuotes(text);
    if (repaired.regions.length > 0) {
      const retry = parseDocument(repaired.text, options);
      if (errorsOf(retry) < errorsOf(doc)) [doc, lenient] = [retry, repaired.regions];
    }
  }
  const builder = new YamlBuilder(text, lenient);
  const root =
    doc.contents === null ? undefined : builder.build(doc.contents, [], false, { kind: "root" }, 0);
  const lineAt = lineIndex(text);
  const duplicates = duplicateYamlKeys(doc);
  const duplicateMessages = duplicateKeyMessages(text, duplicates, lineAt);
  const problems: SourceProblem[] = [
    ...lenient.map((r) => ({
      offset: r.start,
      end: r.end,
      line: lineAt(r.start),
      message: LENIENT_MESSAGE,
    })),
    ...doc.errors.map((e) => ({
      offset: e.pos[0],
      line: lineAt(e.pos[0]),
      message: (e.message.split("\n")[0] ?? e.code).replace(/:\s*$/, ""),
    })),
    ...duplicates.map((d, i) => ({
      offset: d.offset,
      line: lineAt(d.offset),
      message: duplicateMessages[i] ?? "Map keys must be unique",
    })),
  ].sort((a, b) => a.offset - b.offset);
  const indent = mode(builder.indents, DEFAULT_YAML_STYLE.indent);
  const style: YamlStyle = {
    indent,
    seqIndent: modeWithZero(builder.seqIndents, indent),
    quote: builder.counts.single > builder.counts.double ? "single" : "double",
    eol: text.includes("\r\n") ? "\r\n" : "\n",
  };
  return new YamlDocument(text, root, problems, builder.layouts, style);
}

class YamlDocument implements EditableDocument {
  readonly format = "yaml" as const;

  constructor(
    readonly text: string,
    readonly root: TemplateNode | undefined,
    readonly problems: readonly SourceProblem[],
    private readonly layouts: ReadonlyMap<TemplateNode, Layout>,
    private readonly style: YamlStyle,
  ) {}

  /* ---------- positions ---------- */

  private lineStart(offset: number): number {
    return this.text.lastIndexOf("\n", offset - 1) + 1;
  }

  /** Offset just past the line break of the line holding `offset` (or the end of the text). */
  private afterLine(offset: number): number {
    const nl = this.text.indexOf("\n", offset);
    return nl === -1 ? this.text.length : nl + 1;
  }

  /** End of the line holding `offset`, before its line break. */
  private lineEnd(offset: number): number {
    const nl = this.text.indexOf("\n", offset);
    const end = nl === -1 ? this.text.length : nl;
    return end > 0 && this.text[end - 1] === "\r" ? end - 1 : end;
  }

  private column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  /** Leading spaces of the line holding `offset`. */
  private lineIndent(offset: number): number {
    const start = this.lineStart(offset);
    let i = start;
    while (this.text[i] === " ") i++;
    return i - start;
  }

  private onlySpacesBefore(offset: number): boolean {
    return this.text.slice(this.lineStart(offset), offset).trim() === "";
  }

  /**
   * End of a node's content: its range end without trailing line breaks and spaces, except that a
   * block scalar keeps its last line break and the blank lines `|+` keeps (they are its value).
   */
  private contentEnd(node: TemplateNode): number {
    if (node.kind === "scalar" && (node.style === "literal" || node.style === "folded")) return node.end;
    if (node.kind === "intrinsic") return Math.max(this.contentEnd(node.arg), this.trimmedEnd(node));
    if (node.kind === "map" && !node.flow) {
      const last = node.entries[node.entries.length - 1];
      if (last) return Math.max(this.contentEnd(last.value), last.keyStart + last.key.length);
    }
    if (node.kind === "seq" && !node.flow) {
      const last = node.items[node.items.length - 1];
      const dash = this.layout(node).dashes?.[node.items.length - 1];
      if (last) return Math.max(this.contentEnd(last), dash === undefined ? 0 : dash + 1);
    }
    return this.trimmedEnd(node);
  }

  private trimmedEnd(node: TemplateNode): number {
    let end = node.end;
    while (end > node.start && /\s/.test(this.text[end - 1] ?? "")) end--;
    return end;
  }

  private splice(from: number, to: number, insert: string, offset = from): TextEdit {
    return { text: this.text.slice(0, from) + insert + this.text.slice(to), offset };
  }

  private layout(node: TemplateNode): Layout {
    return this.layouts.get(node) ?? { owner: { kind: "root" } };
  }

  private lines(lines: readonly string[]): string {
    return lines.join(this.style.eol);
  }

  /* ---------- scalars ---------- */

  setScalar(node: ScalarNode, value: ScalarValue): TextEdit {
    const { eol } = this.style;
    if (node.style === "literal" || node.style === "folded") {
      // The range runs from the header through the last content line break.
      const headerEnd = this.lineEnd(node.start);
      const header = this.text.slice(node.start, headerEnd);
      const tail = header.replace(/^[|>][-+0-9]*/, "");
      const contentIndent = this.blockContentIndent(node);
      const block = typeof value === "string" ? literalBlock(value, contentIndent, tail) : undefined;
      if (block) return this.splice(node.start, node.end, this.lines(block) + eol);
      const single = scalarText(value, "double", this.style, false);
      return this.splice(node.start, node.end, `${single}${tail}${eol}`);
    }
    if (typeof value === "string" && value.includes("\n") && !node.flow) {
      const lineEnd = this.lineEnd(node.end);
      const tail = this.text.slice(node.end, lineEnd);
      const block = literalBlock(value, this.ownerColumn(node) + this.style.indent, tail);
      if (block) return this.splice(node.start, lineEnd, this.lines(block));
    }
    const preferred = node.start === node.end ? undefined : node.style === "json" ? "double" : node.style;
    let text = scalarText(value, preferred, this.style, node.flow);
    if (node.start === node.end && this.text[node.start - 1] === ":") text = ` ${text}`;
    return this.splice(node.start, node.end, text);
  }

  /** Column of the key or `-` that owns a node: block content under it must be indented more. */
  private ownerColumn(node: TemplateNode): number {
    const { owner } = this.layout(node);
    if (owner.kind === "entry") return this.column(owner.keyStart);
    if (owner.kind === "item" && owner.dash !== undefined) return this.column(owner.dash);
    return this.lineIndent(node.start);
  }

  private blockContentIndent(node: ScalarNode): number {
    const header = this.text.slice(node.start, this.lineEnd(node.start));
    const explicit = /^[|>][-+]?([1-9])/.exec(header)?.[1] ?? /^[|>]([1-9])/.exec(header)?.[1];
    if (explicit) return this.ownerColumn(node) + Number(explicit);
    const body = this.text.slice(this.afterLine(node.start), node.end);
    const line = body.split("\n").find((l) => l.trim() !== "");
    return line === undefined
      ? this.ownerColumn(node) + this.style.indent
      : line.length - line.trimStart().length;
  }

  /* ---------- whole values ---------- */

  replaceValue(node: TemplateNode, value: unknown): TextEdit {
    if (node.kind === "intrinsic") {
      throw new DocumentError(`refusing to overwrite the intrinsic function ${node.source}`);
    }
    const isScalarValue = value === null || ["string", "number", "boolean"].includes(typeof value);
    if (node.kind === "scalar" && isScalarValue) return this.setScalar(node, value as ScalarValue);
    let end = this.contentEnd(node);
    while (end > node.start && /[\r\n]/.test(this.text[end - 1] ?? "")) end--;
    if (node.flow) {
      return this.splice(node.start, end, flowText(value, this.style));
    }
    const { owner } = this.layout(node);
    if (owner.kind === "entry" && owner.colon !== undefined) {
      const col = this.column(owner.keyStart);
      const lines = pairLines("k", value, col, this.style);
      const [first, ...rest] = lines;
      const head = (first ?? "").slice(col + "k:".length);
      return this.splice(owner.colon + 1, end, [head, ...rest].join(this.style.eol), owner.colon + 1);
    }
    if (owner.kind === "item" && owner.dash !== undefined) {
      const col = this.column(owner.dash);
      const lines = itemLines(value, col, this.style);
      const [first, ...rest] = lines;
      return this.splice(owner.dash, end, [(first ?? "").slice(col), ...rest].join(this.style.eol));
    }
    throw new DocumentError(`cannot rewrite the value at line ${lineOf(this.text, node.start)}`);
  }

  /* ---------- mappings ---------- */

  addEntry(map: MapNode, key: string, value: unknown, index?: number): TextEdit {
    if (map.flow || map.entries.length === 0) return this.addFlowEntry(map, key, value);
    const first = map.entries[0];
    if (!first) throw new DocumentError("empty mapping");
    const col = this.column(first.keyStart);
    const lines = this.lines(pairLines(key, value, col, this.style));
    const { eol } = this.style;
    const gap = this.blankSeparated(map) ? eol : "";
    const position = Math.max(0, Math.min(index ?? map.entries.length, map.entries.length));
    const previous = map.entries[position - 1];
    if (!previous) {
      // Before the first entry, and before the comment lines right above it (they belong to it).
      let at = this.lineStart(first.keyStart);
      while (at > 0) {
        const above = this.lineStart(at - 1);
        const line = this.text.slice(above, at).trim();
        if (!line.startsWith("#") || this.lineIndent(above) !== col) break;
        at = above;
      }
      return this.splice(at, at, `${lines}${eol}${gap}`, at);
    }
    const at = this.afterLine(this.entryEnd(previous) - 1);
    const needsBreak = at === this.text.length && !this.text.endsWith("\n");
    return this.splice(at, at, `${needsBreak ? eol : ""}${gap}${lines}${eol}`, at + gap.length);
  }

  /** Offset just past an entry's last character (its key when the value is empty). */
  private entryEnd(entry: MapEntry): number {
    return Math.max(this.contentEnd(entry.value), entry.keyStart + entry.key.length);
  }

  /** Whether most consecutive entries of a block mapping have a blank line between them. */
  private blankSeparated(map: MapNode): boolean {
    let blank = 0;
    for (let i = 1; i < map.entries.length; i++) {
      const [prev, next] = [map.entries[i - 1], map.entries[i]];
      if (!prev || !next) continue;
      const between = this.text.slice(this.afterLine(this.entryEnd(prev) - 1), this.lineStart(next.keyStart));
      if (between.split("\n").some((l, j, all) => j < all.length - 1 && l.trim() === "")) blank++;
    }
    return map.entries.length > 1 && blank * 2 >= map.entries.length - 1;
  }

  private addFlowEntry(map: MapNode, key: string, value: unknown): TextEdit {
    const pair = `${keyText(key, this.style, true)}: ${flowText(value, this.style)}`;
    const last = map.entries[map.entries.length - 1];
    if (last) {
      const at = this.contentEnd(last.value);
      return this.splice(at, at, `, ${pair}`, at + 2);
    }
    const { open } = this.layout(map);
    if (open !== undefined && this.text[open] === "{") {
      const close = this.text.indexOf("}", open);
      return this.splice(open + 1, close, pair, open + 1);
    }
    return this.replaceValue(map, { [key]: value });
  }

  removeEntry(map: MapNode, key: string): TextEdit {
    const index = map.entries.findIndex((e) => e.key === key);
    const entry = map.entries[index];
    if (!entry) throw new DocumentError(`no key ${key}`);
    if (map.entries.length === 1) return this.replaceValue(map, {});
    const last = Math.max(this.contentEnd(entry.value), entry.keyStart + 1);
    const next = map.entries[index + 1];
    if (map.flow) {
      const prev = map.entries[index - 1];
      if (next) return this.splice(entry.keyStart, next.keyStart, "");
      if (prev) return this.splice(this.contentEnd(prev.value), last, "");
      return this.splice(entry.keyStart, last, "");
    }
    if (this.onlySpacesBefore(entry.keyStart)) {
      let from = this.lineStart(entry.keyStart);
      let to = this.afterLine(last - 1);
      // In a mapping whose entries are set apart by blank lines, one of them goes with the entry.
      if (this.blankSeparated(map)) {
        const after = this.afterLine(to);
        const before = from > 0 ? this.lineStart(from - 1) : from;
        if (next && to < this.text.length && this.text.slice(to, after).trim() === "") to = after;
        else if (from > 0 && this.text.slice(before, from).trim() === "") from = before;
      }
      return this.splice(from, to, "");
    }
    // The first key of a mapping that starts on a `- ` line: the next key moves up onto that line.
    if (next) return this.splice(entry.keyStart, next.keyStart, "");
    return this.splice(entry.keyStart, last, "{}");
  }

  /* ---------- sequences ---------- */

  appendItem(seq: SeqNode, value: unknown): TextEdit {
    const { dashes } = this.layout(seq);
    const firstDash = dashes?.[0];
    if (seq.flow || seq.items.length === 0 || firstDash === undefined) return this.appendFlowItem(seq, value);
    const last = seq.items[seq.items.length - 1];
    const lastDash = dashes?.[seq.items.length - 1] ?? firstDash;
    const end = last ? Math.max(this.contentEnd(last), lastDash + 1) : lastDash + 1;
    const at = this.afterLine(end - 1);
    const lines = this.lines(itemLines(value, this.column(firstDash), this.style));
    const needsBreak = at === this.text.length && !this.text.endsWith("\n");
    return this.splice(at, at, `${needsBreak ? this.style.eol : ""}${lines}${this.style.eol}`, at);
  }

  private appendFlowItem(seq: SeqNode, value: unknown): TextEdit {
    const item = flowText(value, this.style);
    const last = seq.items[seq.items.length - 1];
    if (last) {
      const at = this.contentEnd(last);
      return this.splice(at, at, `, ${item}`, at + 2);
    }
    const { open } = this.layout(seq);
    if (open !== undefined && this.text[open] === "[") {
      const close = this.text.indexOf("]", open);
      return this.splice(open + 1, close, item, open + 1);
    }
    return this.replaceValue(seq, [value]);
  }

  removeItem(seq: SeqNode, index: number): TextEdit {
    const item = seq.items[index];
    if (!item) throw new DocumentError(`no item ${index}`);
    if (seq.items.length === 1) return this.replaceValue(seq, []);
    const layout = this.layout(seq);
    if (seq.flow) {
      const starts = layout.itemStarts ?? seq.items.map((i) => i.start);
      const start = starts[index] ?? item.start;
      const next = starts[index + 1];
      const prev = seq.items[index - 1];
      if (next !== undefined) return this.splice(start, next, "");
      if (prev) return this.splice(this.contentEnd(prev), this.contentEnd(item), "");
      return this.splice(start, this.contentEnd(item), "");
    }
    const dash = layout.dashes?.[index];
    if (dash === undefined) throw new DocumentError(`cannot find item ${index} in the source`);
    const last = Math.max(this.contentEnd(item), dash + 1);
    if (this.onlySpacesBefore(dash)) return this.splice(this.lineStart(dash), this.afterLine(last - 1), "");
    const nextDash = layout.dashes?.[index + 1];
    if (nextDash !== undefined) return this.splice(dash, nextDash, "");
    return this.splice(dash, last, "[]");
  }
}

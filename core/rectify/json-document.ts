import {
  applyEdits,
  type FormattingOptions,
  type JSONPath,
  type Node as JsonNode,
  modify,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { lineIndex, templateSizeProblem } from "../template/bounds.ts";
import type { EditableDocument, SourceProblem, TextEdit } from "./document.ts";
import { DocumentError } from "./document.ts";
import {
  isIntrinsicKey,
  type MapEntry,
  type MapNode,
  type NodePath,
  type ScalarNode,
  type ScalarValue,
  type SeqNode,
  type TemplateNode,
} from "./tree.ts";

/**
 * A JSON template (or parameter file) opened for byte-preserving edits with `jsonc-parser`: `modify`
 * computes the smallest text edit for a change at a path, formatted with the document's own
 * indentation and line ending, and `applyEdits` splices it in. Keys keep their order; new keys go
 * after the last one.
 * @see https://github.com/microsoft/node-jsonc-parser#readme
 */

/** The document's indentation (spaces or tabs, and how many) and line ending. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (indent === undefined) return { insertSpaces: true, tabSize: 2, eol, insertFinalNewline: false };
  if (indent.startsWith("\t")) return { insertSpaces: false, tabSize: 1, eol, insertFinalNewline: false };
  return { insertSpaces: true, tabSize: indent.length, eol, insertFinalNewline: false };
}

function build(node: JsonNode, path: NodePath): TemplateNode {
  const start = node.offset;
  const end = node.offset + node.length;
  switch (node.type) {
    case "object": {
      const entries: MapEntry[] = [];
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (!keyNode || typeof keyNode.value !== "string") continue;
        const key = keyNode.value;
        const value: TemplateNode = valueNode
          ? build(valueNode, [...path, key])
          : { kind: "scalar", path: [...path, key], start: end, end, flow: true, value: null, style: "json" };
        entries.push({ key, keyStart: keyNode.offset, value });
      }
      const only = entries[0];
      if (entries.length === 1 && only && isIntrinsicKey(only.key)) {
        return {
          kind: "intrinsic",
          path,
          start,
          end,
          flow: true,
          fn: only.key,
          arg: only.value,
          source: "",
        };
      }
      return { kind: "map", path, start, end, flow: true, entries };
    }
    case "array":
      return {
        kind: "seq",
        path,
        start,
        end,
        flow: true,
        items: (node.children ?? []).map((child, i) => build(child, [...path, i])),
      };
    default:
      return {
        kind: "scalar",
        path,
        start,
        end,
        flow: true,
        value: (node.value ?? null) as ScalarValue,
        style: "json",
      };
  }
}

/**
 * The text the JSON parser reads: a UTF-8 byte order mark, which JSON parsers reject but editors and
 * CloudFormation accept, reads as a space. Same length, so every offset holds in the real text.
 */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
}

/**
 * Every key an object repeats: JSON parsers keep one of them (the last, for most), so an edit at the
 * other would change nothing CloudFormation reads. One pass, a Set per object.
 */
function duplicateJsonKeys(tree: JsonNode, lineAt: (offset: number) => number): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const stack: JsonNode[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as JsonNode;
    if (node.type === "object") {
      const seen = new Map<string, number>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (keyNode && typeof keyNode.value === "string") {
          const first = seen.get(keyNode.value);
          if (first === undefined) seen.set(keyNode.value, keyNode.offset);
          else
            problems.push({
              offset: keyNode.offset,
              line: lineAt(keyNode.offset),
              message: `JSON: duplicate key ${JSON.stringify(keyNode.value)} at line ${lineAt(keyNode.offset)} (first at line ${lineAt(first)}): CloudFormation would read only one of them`,
            });
        }
        if (valueNode) stack.push(valueNode);
      }
    } else if (node.type === "array") {
      for (const child of node.children ?? []) stack.push(child);
    }
  }
  return problems.sort((a, b) => a.offset - b.offset);
}

/**
 * Opens JSON text; syntax errors and duplicate keys are problems (the caller refuses to edit a
 * broken document). A text over CloudFormation's 1 MB template limit is not parsed: its one problem
 * says so.
 */
export function openJson(text: string): EditableDocument {
  const tooLarge = templateSizeProblem(text);
  if (tooLarge !== undefined) {
    return new JsonDocument(
      text,
      undefined,
      [{ offset: 0, line: 1, message: `JSON: not read: the file ${tooLarge}` }],
      detectFormatting(text),
    );
  }
  const errors: ParseError[] = [];
  const tree = parseTree(withoutBom(text), errors, { disallowComments: false, allowTrailingComma: true });
  const lineAt = lineIndex(text);
  const problems: SourceProblem[] = [
    ...errors.map((e) => ({
      offset: e.offset,
      line: lineAt(e.offset),
      message: `JSON: ${printParseErrorCode(e.error)}`,
    })),
    ...(tree ? duplicateJsonKeys(tree, lineAt) : []),
  ].sort((a, b) => a.offset - b.offset);
  const root = tree ? withSources(build(tree, []), text) : undefined;
  return new JsonDocument(text, root, problems, detectFormatting(text));
}

/** Fills each intrinsic's `source` with its text, shortened, for messages. */
function withSources(node: TemplateNode, text: string): TemplateNode {
  switch (node.kind) {
    case "intrinsic": {
      const source = text.slice(node.start, node.end).replace(/\s+/g, " ");
      return {
        ...node,
        arg: withSources(node.arg, text),
        source: source.length > 90 ? `${source.slice(0, 87)}...` : source,
      };
    }
    case "map":
      return { ...node, entries: node.entries.map((e) => ({ ...e, value: withSources(e.value, text) })) };
    case "seq":
      return { ...node, items: node.items.map((i) => withSources(i, text)) };
    default:
      return node;
  }
}

class JsonDocument implements EditableDocument {
  readonly format = "json" as const;

  constructor(
    readonly text: string,
    readonly root: TemplateNode | undefined,
    readonly problems: readonly SourceProblem[],
    private readonly formatting: FormattingOptions,
  ) {}

  private edit(path: NodePath, value: unknown, arrayInsertion = false, index?: number): TextEdit {
    const edits = modify(withoutBom(this.text), path as JSONPath, value, {
      formattingOptions: this.formatting,
      isArrayInsertion: arrayInsertion,
      ...(index === undefined ? {} : { getInsertionIndex: (keys: string[]) => Math.min(index, keys.length) }),
    });
    const first = edits[0];
    if (!first) throw new DocumentError(`no edit at ${JSON.stringify(path)}`);
    return { text: applyEdits(this.text, edits), offset: first.offset };
  }

  setScalar(node: ScalarNode, value: ScalarValue): TextEdit {
    return this.edit(node.path, value);
  }

  replaceValue(node: TemplateNode, value: unknown): TextEdit {
    if (node.kind === "intrinsic") {
      throw new DocumentError(`refusing to overwrite the intrinsic function ${node.source}`);
    }
    return this.edit(node.path, value);
  }

  addEntry(map: MapNode, key: string, value: unknown, index?: number): TextEdit {
    return this.edit([...map.path, key], value, false, index);
  }

  removeEntry(map: MapNode, key: string): TextEdit {
    return this.edit([...map.path, key], undefined);
  }

  appendItem(seq: SeqNode, value: unknown): TextEdit {
    return this.edit([...seq.path, seq.items.length], value, true);
  }

  removeItem(seq: SeqNode, index: number): TextEdit {
    return this.edit([...seq.path, index], undefined);
  }
}

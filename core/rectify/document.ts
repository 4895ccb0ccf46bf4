import type { MapNode, ScalarNode, SeqNode, TemplateNode } from "./tree.ts";

/** A text edit's outcome: the whole new text and where the written part starts in it. */
export interface TextEdit {
  readonly text: string;
  /** Offset in the new text where the edit begins (for its line number). */
  readonly offset: number;
}

/** A problem in the source that Phantom leaves alone (a YAML error a lenient parser accepts). */
export interface SourceProblem {
  readonly offset: number;
  /**
   * Where the bad region ends, when Phantom knows it exactly (a quoted string it read leniently): the
   * rest of the document parsed, so only edits that would touch `[offset, end)` are refused. Absent
   * for other errors, after which the parser's view of the enclosing resource cannot be trusted.
   */
  readonly end?: number;
  readonly line: number;
  readonly message: string;
}

/**
 * A template (or parameter file) opened for editing. Every edit returns new text and leaves the
 * rest of the source byte for byte as it was; the caller re-opens the new text to edit again.
 */
export interface EditableDocument {
  readonly format: "yaml" | "json";
  readonly text: string;
  readonly root: TemplateNode | undefined;
  readonly problems: readonly SourceProblem[];
  /** Writes a scalar in the node's own style (quoting, block style), coercing nothing. */
  setScalar(node: ScalarNode, value: string | number | boolean | null): TextEdit;
  /** Replaces any non-intrinsic node with a value, written in the surrounding style. */
  replaceValue(node: TemplateNode, value: unknown): TextEdit;
  /**
   * Adds `key: value` as the entry at position `index` (after the last entry when absent), in the
   * mapping's indentation; in a block mapping whose entries are set apart by blank lines (a
   * Resources section), the new entry is set apart the same way.
   */
  addEntry(map: MapNode, key: string, value: unknown, index?: number): TextEdit;
  /** Removes the entry and its value, with the line(s) they were on. */
  removeEntry(map: MapNode, key: string): TextEdit;
  /** Adds an item after the sequence's last item. */
  appendItem(seq: SeqNode, value: unknown): TextEdit;
  /** Removes the item at `index`, with the line(s) it was on. */
  removeItem(seq: SeqNode, index: number): TextEdit;
}

/** A template or parameter file that cannot be opened: not YAML/JSON, or not a mapping. */
export class DocumentError extends Error {
  override readonly name = "DocumentError";
}

import { type Document, isMap, isPair, isScalar, isSeq } from "yaml";

/**
 * The bounds on a template Phantom reads. A safe-state template comes from a repository or a
 * scenario anyone can write to, so its size is capped at what CloudFormation itself accepts, and its
 * duplicate keys are found in one linear pass instead of the `yaml` package's per-key scan of the
 * mapping so far (`uniqueKeys`), which is quadratic in a mapping's size: two thirds of the parse of a
 * large `Resources` section (BENCHMARKS.md, "Template bounds").
 */

/**
 * CloudFormation's largest template: 1 MB, the quota on a template body passed as an Amazon S3
 * object (a request body takes 51,200 bytes). No stack can be deployed from a larger one.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const TEMPLATE_MAX_BYTES = 1_048_576;

/** The text's UTF-8 length, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MB`;

/**
 * Why a template text is too large to read, or `undefined`: "is 1.20 MB (1,258,291 bytes), over
 * CloudFormation's 1 MB template limit (1,048,576 bytes)". The caller names the file or stack.
 */
export function templateSizeProblem(text: string): string | undefined {
  // Three UTF-8 bytes per UTF-16 unit at most: a text this short is within the cap without counting.
  if (text.length * 3 <= TEMPLATE_MAX_BYTES) return undefined;
  return templateBytesProblem(utf8Length(text));
}

/** {@link templateSizeProblem} for a file's size in bytes (a `stat`), before reading it. */
export function templateBytesProblem(bytes: number): string | undefined {
  if (bytes <= TEMPLATE_MAX_BYTES) return undefined;
  return `is ${mb(bytes)} (${bytes.toLocaleString("en-US")} bytes), over CloudFormation's 1 MB template limit (${TEMPLATE_MAX_BYTES.toLocaleString("en-US")} bytes)`;
}

/** A template over {@link TEMPLATE_MAX_BYTES}: refused before it is parsed. */
export class TemplateTooLargeError extends Error {
  override readonly name = "TemplateTooLargeError";
}

/** @throws {TemplateTooLargeError} when the text is over the cap, naming `what` ("the template", a file). */
export function assertTemplateSize(text: string, what = "the template"): void {
  const problem = templateSizeProblem(text);
  if (problem !== undefined) throw new TemplateTooLargeError(`${what} ${problem}`);
}

/** A key a mapping holds twice: where the second one starts, and where the first did. */
export interface DuplicateKey {
  readonly key: string;
  readonly offset: number;
  readonly firstOffset: number;
}

/**
 * Every scalar key a YAML mapping repeats, in one pass with a Set per mapping: the same keys the
 * `yaml` package's `uniqueKeys` check finds (scalars with equal values), at the same offsets (where
 * the repeated key starts), in linear time. Parse with `uniqueKeys: false` and call this instead.
 * Aliases are not followed: an anchor's mapping is checked where it is written.
 */
export function duplicateYamlKeys(doc: Pick<Document, "contents">): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Map<unknown, number>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          const start = key.range?.[0] ?? 0;
          const first = seen.get(key.value);
          if (first === undefined) seen.set(key.value, start);
          else found.push({ key: String(key.value), offset: start, firstOffset: first });
        }
        if (key !== null && typeof key === "object") stack.push(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** The 1-based line of any offset, from one pass over the text's line breaks. */
export function lineIndex(text: string): (offset: number) => number {
  const breaks: number[] = [];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) breaks.push(i);
  return (offset) => {
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((breaks[mid] ?? 0) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/**
 * "Map keys must be unique: "Key" at line 12 (first at line 4)", the message of each duplicate key;
 * `lineOf` from {@link lineIndex} when the caller already has one.
 */
export function duplicateKeyMessages(
  text: string,
  duplicates: readonly DuplicateKey[],
  lineOf: (offset: number) => number = lineIndex(text),
): string[] {
  return duplicates.map(
    (d) =>
      `Map keys must be unique: ${JSON.stringify(d.key)} at line ${lineOf(d.offset)} (first at line ${lineOf(d.firstOffset)})`,
  );
}

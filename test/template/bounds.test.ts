import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { openJson } from "../../core/rectify/json-document.ts";
import { rectify } from "../../core/rectify/rectify.ts";
import { openYaml } from "../../core/rectify/yaml-document.ts";
import {
  duplicateYamlKeys,
  TEMPLATE_MAX_BYTES,
  templateSizeProblem,
  utf8Length,
} from "../../core/template/bounds.ts";
import { indexTemplate, templateFragments } from "../../core/template/fragments.ts";

const YAML_DUPLICATE = [
  "Resources:", //                       1
  "  Queue:", //                         2
  "    Type: AWS::SQS::Queue", //        3
  "    Properties:", //                  4
  "      VisibilityTimeout: 30", //      5
  "      VisibilityTimeout: 60", //      6
  "",
].join("\n");

const JSON_DUPLICATE = `{
  "Resources": {
    "Queue": {
      "Type": "AWS::SQS::Queue",
      "Properties": {
        "VisibilityTimeout": 30,
        "VisibilityTimeout": 60
      }
    }
  }
}
`;

const change = {
  logicalId: "Queue",
  resourceType: "AWS::SQS::Queue",
  propertyPath: "/VisibilityTimeout",
  differenceType: "NOT_EQUAL" as const,
  expected: 60,
  actual: 90,
  decision: "legitimize" as const,
};

/** A template of at least `bytes` bytes: many small queues. */
function bigYaml(bytes: number): string {
  const parts = ["Resources:\n"];
  let size = parts[0]?.length ?? 0;
  for (let i = 0; size <= bytes; i++) {
    const r = `  Queue${i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: ${i % 900}\n`;
    parts.push(r);
    size += r.length;
  }
  return parts.join("");
}

describe("duplicate keys", () => {
  it("YAML: names the key, its line and the first one's", () => {
    const doc = openYaml(YAML_DUPLICATE);
    expect(doc.problems.map((p) => [p.line, p.message])).toEqual([
      [6, 'Map keys must be unique: "VisibilityTimeout" at line 6 (first at line 5)'],
    ]);
  });

  it("JSON: a template with a duplicate key is refused, naming the key and its line", () => {
    const doc = openJson(JSON_DUPLICATE);
    expect(doc.problems.map((p) => [p.line, p.message])).toEqual([
      [
        7,
        'JSON: duplicate key "VisibilityTimeout" at line 7 (first at line 6): CloudFormation would read only one of them',
      ],
    ]);
    const outcome = rectify({
      template: { text: JSON_DUPLICATE, path: "queue.json", format: "json" },
      changes: [change],
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? [] : outcome.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/line 7: JSON: duplicate key "VisibilityTimeout"/),
    ]);
  });

  it("JSON: keys repeated in different objects are not duplicates", () => {
    const text =
      '{"Resources": {"A": {"Type": "X", "Properties": {"Name": 1}}, "B": {"Type": "X", "Properties": {"Name": 2}}}}';
    expect(openJson(text).problems).toEqual([]);
  });

  it("YAML: finds exactly the keys the yaml package's own uniqueKeys check finds, at the same offsets", () => {
    const key = fc.constantFrom("a", "b", "'a'", '"b"', "1", "'1'", "null", "~", "true", "c d");
    const leaf = fc.constantFrom("1", "x", "[1, 2]", "{a: 1, a: 2}", "!Ref a", "{}");
    type Tree = { readonly entries: readonly (readonly [string, Tree | string])[] };
    const tree: fc.Arbitrary<Tree> = fc.letrec<{ map: Tree }>((tie) => ({
      map: fc.record({
        entries: fc.array(fc.tuple(key, fc.oneof({ depthSize: "small" }, leaf, tie("map"))), {
          minLength: 1,
          maxLength: 5,
        }),
      }),
    })).map;
    const render = (t: Tree, indent: string): string =>
      t.entries
        .map(([k, v]) =>
          typeof v === "string" ? `${indent}${k}: ${v}\n` : `${indent}${k}:\n${render(v, `${indent}  `)}`,
        )
        .join("");
    fc.assert(
      fc.property(tree, (t) => {
        const text = render(t, "");
        const strict = parseDocument(text, { logLevel: "silent" });
        const expected = strict.errors.filter((e) => e.code === "DUPLICATE_KEY").map((e) => e.pos[0]);
        const ours = duplicateYamlKeys(parseDocument(text, { uniqueKeys: false, logLevel: "silent" }));
        // yaml reports where the key's properties end; for a plain key that is where the key starts.
        expect(ours.map((d) => d.offset).sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});

describe("template size", () => {
  it("counts UTF-8 bytes as Buffer does", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 50 }), (s) => {
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, "utf8"));
      }),
    );
  });

  it("refuses a template over CloudFormation's 1 MB before parsing it, saying how large it is", () => {
    const text = bigYaml(TEMPLATE_MAX_BYTES);
    expect(templateSizeProblem(text)).toMatch(
      /^is 1\.00 MB \([\d,]+ bytes\), over CloudFormation's 1 MB template limit \(1,048,576 bytes\)$/,
    );
    expect(() => openYaml(text)).toThrow(
      /the template is 1\.00 MB .* over CloudFormation's 1 MB template limit/,
    );
    expect(
      openJson(`{"Resources": {}, "Pad": "${"x".repeat(TEMPLATE_MAX_BYTES)}"}`).problems[0]?.message,
    ).toMatch(/over CloudFormation's 1 MB template limit/);
    const outcome = rectify({ template: { text, path: "big.yaml", format: "yaml" }, changes: [change] });
    expect(outcome.ok ? [] : outcome.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^the template cannot be read: the template is 1\.00 MB/),
    ]);
    expect(() => indexTemplate(text)).toThrow(/over CloudFormation's 1 MB/);
    // The prompt's fragments: none, rather than a failed analysis.
    expect(templateFragments(text, ["Queue1"])).toBe("");
  });

  it("reads a template just under the limit", () => {
    const text = bigYaml(TEMPLATE_MAX_BYTES - 2_000);
    expect(utf8Length(text)).toBeLessThanOrEqual(TEMPLATE_MAX_BYTES);
    expect(templateSizeProblem(text)).toBeUndefined();
    expect(templateFragments(text, ["Queue1"])).toContain("Queue1:");
  });
});

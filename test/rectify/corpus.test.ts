import { describe, expect, it } from "vitest";
import { rectify } from "../../core/rectify/rectify.ts";
import { jsonCases, yamlCases } from "./corpus-properties.ts";

describe("a rectification with no decisions", () => {
  it.each([...yamlCases, ...jsonCases])("is byte-identical on $name", ({ text, format }) => {
    const outcome = rectify({ template: { text, format }, changes: [] });

    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.result.text === text).toBe(true);
    expect(outcome.ok && outcome.result.changed).toBe(false);
  });

  it("covers all 34 corpus templates", () => {
    expect(yamlCases).toHaveLength(34);
  });
});

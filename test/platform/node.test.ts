import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};
const major = (version: string) => Number(/(\d+)/.exec(version)?.[1]);

describe("platform", () => {
  it("runs the tests on the Node major the project pins (the `node` devDependency), not the machine's own", () => {
    const pinned = pkg.devDependencies.node;
    expect(pinned, "package.json pins Node through the `node` devDependency").toBeDefined();
    expect(major(process.versions.node)).toBe(major(pinned ?? ""));
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(24);
  });

  it("declares the Node range it supports and ships sst as a run-time dependency", () => {
    expect(pkg.engines.node).toBe(">=22");
    expect(pkg.dependencies.sst).toMatch(/^\^?4\./);
  });
});

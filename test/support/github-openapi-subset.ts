import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GITHUB_OPENAPI_SUBSET, GITHUB_OPERATIONS } from "./github-operations.ts";

/**
 * Writes `fixtures/github/openapi-subset.json`: GitHub's REST OpenAPI description (the
 * `generated/api.github.com.json` of `@octokit/openapi`, github/rest-api-description plus Octokit's
 * `x-octokit` extension, MIT) cut down to the operations in `GITHUB_OPERATIONS`
 * (`test/support/github-operations.ts`) and the components they reference, transitively. The fake
 * GitHub server of the tests validates every request and response against it.
 *
 *     npm run openapi:subset                  # downloads the pinned package with `npm pack`
 *     npm run openapi:subset -- --from <api.github.com.json>
 *
 * The package is about 385 MB unpacked (every description, dereferenced ones included), so it is
 * not a dependency: `npm pack` fetches its tarball (about 29 MB, through npm's cache and registry
 * settings), the integrity below is checked, and only `package/generated/api.github.com.json` is
 * extracted (with `tar`) into a temporary directory that is removed afterwards. To move to a newer
 * description, change the version and integrity (`npm view @octokit/openapi@<v> dist.integrity`),
 * run this, and review the diff of the subset.
 */

const PACKAGE = "@octokit/openapi";
const VERSION = "23.0.2";
const INTEGRITY =
  "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg==";
const MEMBER = "package/generated/api.github.com.json";

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"] as const;
const COMPONENT_REF = /^#\/components\/([A-Za-z]+)\/(.+)$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Description extends JsonObject {
  info: JsonObject;
  paths: { [path: string]: { [method: string]: JsonObject } };
  components: { [kind: string]: { [name: string]: Json } };
}

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The pinned package's `api.github.com.json`, fetched with `npm pack` and checked against INTEGRITY. */
function download(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "phantom-openapi-"));
  try {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", `${PACKAGE}@${VERSION}`, "--json", "--pack-destination", dir], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        shell: process.platform === "win32",
      }),
    ) as { filename: string }[];
    const tarball = path.join(dir, packed[0]?.filename ?? "");
    const digest = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
    if (digest !== INTEGRITY) {
      throw new Error(`${PACKAGE}@${VERSION}: tarball integrity ${digest}, expected ${INTEGRITY}`);
    }
    execFileSync("tar", ["-xzf", tarball, "-C", dir, MEMBER], { stdio: "inherit" });
    return readFileSync(path.join(dir, MEMBER), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every `#/components/<kind>/<name>` a value refers to. */
function refsIn(value: Json, found: (kind: string, name: string) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) refsIn(v, found);
  } else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "$ref" && typeof v === "string") {
        const match = COMPONENT_REF.exec(v);
        if (!match?.[1] || !match[2]) throw new Error(`unsupported $ref ${v}`);
        found(match[1], match[2]);
      } else {
        refsIn(v, found);
      }
    }
  }
}

/** The description cut to the listed operations and the components they reach. */
function subsetOf(full: Description): Description {
  const wanted = new Map<string, string>(
    Object.entries(GITHUB_OPERATIONS).map(([operationId, route]) => [route, operationId]),
  );
  const paths: Description["paths"] = {};
  // Kept in the description's own order, so a regenerated file diffs cleanly.
  for (const [template, item] of Object.entries(full.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      const operationId = wanted.get(`${method.toUpperCase()} ${template}`);
      if (!operation || operationId === undefined) continue;
      if (operation.operationId !== operationId) {
        throw new Error(
          `${method.toUpperCase()} ${template} is ${operation.operationId}, not ${operationId}`,
        );
      }
      paths[template] = { ...paths[template], [method]: operation };
      wanted.delete(`${method.toUpperCase()} ${template}`);
    }
  }
  if (wanted.size > 0) {
    throw new Error(`not in the description: ${[...wanted].map(([r, id]) => `${id} (${r})`).join(", ")}`);
  }

  const reached = new Map<string, Set<string>>();
  const stack: Json[] = [paths];
  while (stack.length > 0) {
    refsIn(stack.pop() as Json, (kind, name) => {
      const names = reached.get(kind) ?? new Set<string>();
      reached.set(kind, names);
      if (names.has(name)) return;
      const component = full.components[kind]?.[name];
      if (component === undefined) throw new Error(`unresolved #/components/${kind}/${name}`);
      names.add(name);
      stack.push(component);
    });
  }
  const components: Description["components"] = {};
  for (const [kind, all] of Object.entries(full.components)) {
    const names = reached.get(kind);
    if (!names) continue;
    components[kind] = Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name)));
  }

  const { tags: _tags, "x-webhooks": _webhooks, ...rest } = full;
  return {
    ...rest,
    info: {
      ...full.info,
      "x-phantom-subset": {
        source: `${PACKAGE}@${VERSION} ${MEMBER.replace(/^package\//, "")}`,
        generator: "test/support/github-openapi-subset.ts (npm run openapi:subset)",
        operations: "test/support/github-operations.ts",
      },
    },
    paths,
    components,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: { from: { type: "string" }, out: { type: "string", default: GITHUB_OPENAPI_SUBSET } },
  });
  const full = JSON.parse(values.from ? readFileSync(values.from, "utf8") : download()) as Description;
  const subset = subsetOf(full);
  const text = `${JSON.stringify(subset, null, 2)}\n`;
  const out = path.resolve(root, values.out);
  writeFileSync(out, text);
  const counts = Object.entries(subset.components)
    .map(([kind, all]) => `${Object.keys(all).length} ${kind}`)
    .join(", ");
  const operations = Object.values(subset.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(
    `${path.relative(root, out)}: ${operations} operations, ${counts}; ${(text.length / 1024).toFixed(0)} KiB ` +
      `(from ${PACKAGE}@${String(full.info.version)})`,
  );
}

main();

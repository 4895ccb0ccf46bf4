import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { default as addFormatsModule } from "ajv-formats";
import { GITHUB_OPENAPI_SUBSET, GITHUB_OPERATIONS } from "./github-operations.ts";

/**
 * GitHub's published OpenAPI description (`@octokit/openapi`, `generated/api.github.com.json`:
 * github/rest-api-description plus Octokit's `x-octokit` extension, MIT), cut down to the operations
 * Phantom calls (`GITHUB_OPERATIONS`, `github-operations.ts`) and checked in as
 * `fixtures/github/openapi-subset.json` (`npm run openapi:subset` regenerates it), as a strict
 * request validator for the fake GitHub server, built on Ajv 8 (OpenAPI 3.0 schemas are JSON Schema draft-04/07
 * plus `nullable`, which Ajv supports natively).
 *
 * A route outside the subset is rejected like an unknown one, so Phantom calling an operation the
 * subset lacks fails the test that reaches it.
 *
 * Checked per request: the route (method + path template; `x-multi-segment` parameters such as a
 * git ref or a contents path may span `/`), path parameters, query parameters (types coerced from
 * the query string as a server would; a parameter the operation does not declare is rejected), and
 * the JSON body against the operation's `requestBody` schema. One check is stricter than the
 * description: a top-level body property the schema does not declare is rejected, since GitHub
 * silently ignores such a property and a typo would otherwise pass.
 *
 * Responses the fake server sends are checked against the operation's response schema too, so the
 * fake answers in GitHub's shapes. `example()` gives the description's own example for a response,
 * which the fake server patches with its state.
 *
 * @see https://github.com/github/rest-api-description
 * @see https://github.com/octokit/openapi
 */

interface Parameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required?: boolean;
  readonly schema?: unknown;
  readonly "x-multi-segment"?: boolean;
}

interface MediaType {
  readonly schema?: unknown;
  readonly examples?: Record<string, { readonly value?: unknown; readonly $ref?: string }>;
}

interface Operation {
  readonly operationId: string;
  readonly parameters?: readonly (Parameter | { readonly $ref: string })[];
  readonly requestBody?: { readonly required?: boolean; readonly content?: Record<string, MediaType> };
  readonly responses: Record<
    string,
    { readonly $ref?: string; readonly content?: Record<string, MediaType> }
  >;
}

interface Spec {
  readonly info: { readonly version: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: {
    readonly parameters: Record<string, Parameter>;
    readonly responses: Record<string, { readonly content?: Record<string, MediaType> }>;
    readonly examples: Record<string, { readonly value?: unknown }>;
    readonly schemas: Record<string, unknown>;
  };
}

/** A matched operation with its decoded path parameters. */
export interface MatchedOperation {
  readonly operationId: string;
  readonly method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/git/refs/{ref}`. */
  readonly template: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface RequestToValidate {
  readonly method: string;
  /** Raw (still percent-encoded) path, without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parsed JSON body; `undefined` when the request had none. */
  readonly body: unknown;
}

export type RequestValidation =
  | { readonly ok: true; readonly operation: MatchedOperation }
  | { readonly ok: false; readonly operation?: MatchedOperation; readonly issues: readonly string[] };

export interface GitHubOpenApi {
  /** The description's version (the `@octokit/openapi` release the subset was cut from). */
  readonly version: string;
  validateRequest(request: RequestToValidate): RequestValidation;
  /** Problems with a response body for the operation and status; empty when it conforms. */
  validateResponse(operationId: string, status: number, body: unknown): readonly string[];
  /** A deep copy of the description's example for the operation's response with this status. */
  example(operationId: string, status: number, name?: string): unknown;
}

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"] as const;

interface Route {
  readonly method: string;
  readonly template: string;
  readonly segments: readonly string[];
  /** Literal segments: the more, the more specific the route. */
  readonly literals: number;
  readonly operation: Operation;
}

interface CompiledOperation {
  readonly parameters: readonly Parameter[];
  readonly params?: ValidateFunction;
  readonly query?: ValidateFunction;
  readonly body?: ValidateFunction;
  readonly bodyProperties?: ReadonlySet<string>;
  readonly bodyRequired: boolean;
}

const SUBSET = new URL(`../../${GITHUB_OPENAPI_SUBSET}`, import.meta.url);

/** Throws unless the subset holds exactly the listed operations, at the listed routes. */
function checkSubset(spec: Spec): void {
  const inSubset = new Map<string, string>();
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (operation) inSubset.set(operation.operationId, `${method.toUpperCase()} ${template}`);
    }
  }
  const problems = [
    ...Object.entries(GITHUB_OPERATIONS)
      .filter(([id, route]) => inSubset.get(id) !== route)
      .map(([id, route]) => `${id} (${route}) is missing`),
    ...[...inSubset.keys()].filter((id) => !(id in GITHUB_OPERATIONS)).map((id) => `${id} is not listed`),
  ];
  if (problems.length > 0) {
    throw new Error(
      `${GITHUB_OPENAPI_SUBSET} does not match GITHUB_OPERATIONS (${problems.join("; ")}): run npm run openapi:subset`,
    );
  }
}

const SCHEMA_REF = "#/components/schemas/";
/** Each component schema is registered once per Ajv instance under this base, so compiled code is shared. */
const SCHEMA_BASE = "https://api.github.com/openapi/schemas/";

/**
 * OpenAPI 3.0 `nullable: true` on a schema without `type` (beside `allOf`, `$ref`, ...) means
 * "this, or null"; Ajv only understands `nullable` next to `type`.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof v === "string" ? `${SCHEMA_BASE}${v.slice(SCHEMA_REF.length)}` : normalize(v);
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return Object.keys(out).length === 0 ? {} : { anyOf: [{ type: "null" }, out] };
  }
  return out;
}

/** The names of the component schemas a schema refers to, transitively. */
function referencedSchemas(root: unknown, schemas: Spec["components"]["schemas"]): string[] {
  const seen = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key === "$ref" && typeof v === "string") {
          if (!v.startsWith(SCHEMA_REF)) throw new Error(`unsupported $ref ${v}`);
          const name = v.slice(SCHEMA_REF.length);
          if (!seen.has(name)) {
            seen.add(name);
            stack.push(schemas[name]);
          }
        } else {
          stack.push(v);
        }
      }
    }
  }
  return [...seen];
}

function formatErrors(where: string, validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map(
    (e) =>
      `${where}${e.instancePath || ""}: ${e.message ?? "invalid"}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
  );
}

function createGitHubOpenApi(spec: Spec): GitHubOpenApi {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
  const strictAjv = new Ajv({ strict: false, allErrors: true, logger: false });
  const responseAjv = new Ajv({ strict: false, logger: false, code: { optimize: false } });
  const coercingAjv = new Ajv({ strict: false, allErrors: true, logger: false, coerceTypes: "array" });
  for (const ajv of [strictAjv, coercingAjv, responseAjv]) addFormats(ajv);

  /** The fragment, with every component schema it reaches registered in `ajv`. */
  const registered = new Map<Ajv, Set<string>>();
  const schemaFor = (ajv: Ajv, fragment: unknown): object => {
    const names = registered.get(ajv) ?? new Set<string>();
    registered.set(ajv, names);
    for (const name of referencedSchemas(fragment, spec.components.schemas)) {
      if (names.has(name)) continue;
      names.add(name);
      ajv.addSchema({
        ...(normalize(spec.components.schemas[name]) as object),
        $id: `${SCHEMA_BASE}${name}`,
      });
    }
    return normalize(fragment) as object;
  };

  const routes: Route[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    const segments = template.split("/").slice(1);
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      routes.push({
        method: method.toUpperCase(),
        template,
        segments,
        literals: segments.filter((s) => !s.startsWith("{")).length,
        operation,
      });
    }
  }
  routes.sort((a, b) => b.literals - a.literals || a.segments.length - b.segments.length);
  const byId = new Map(routes.map((r) => [r.operation.operationId, r]));

  const resolveParameter = (p: Parameter | { readonly $ref: string }): Parameter => {
    if ("$ref" in p) {
      const name = p.$ref.split("/").pop() ?? "";
      const found = spec.components.parameters[name];
      if (!found) throw new Error(`unresolved parameter ${p.$ref}`);
      return found;
    }
    return p;
  };

  const compiled = new Map<string, CompiledOperation>();
  const compile = (operation: Operation): CompiledOperation => {
    const cached = compiled.get(operation.operationId);
    if (cached) return cached;
    const parameters = (operation.parameters ?? []).map(resolveParameter);
    const objectSchema = (where: "path" | "query") => {
      const list = parameters.filter((p) => p.in === where);
      if (list.length === 0) return undefined;
      return coercingAjv.compile(
        schemaFor(coercingAjv, {
          type: "object",
          properties: Object.fromEntries(list.map((p) => [p.name, p.schema ?? {}])),
          required: list.filter((p) => p.required).map((p) => p.name),
        }),
      );
    };
    const json = operation.requestBody?.content?.["application/json"]?.schema as
      | { properties?: Record<string, unknown>; additionalProperties?: unknown }
      | undefined;
    const result: CompiledOperation = {
      parameters,
      ...(objectSchema("path") ? { params: objectSchema("path") } : {}),
      ...(objectSchema("query") ? { query: objectSchema("query") } : {}),
      ...(json ? { body: strictAjv.compile(schemaFor(strictAjv, json)) } : {}),
      ...(json?.properties && json.additionalProperties === undefined
        ? { bodyProperties: new Set(Object.keys(json.properties)) }
        : {}),
      bodyRequired: operation.requestBody?.required === true,
    };
    compiled.set(operation.operationId, result);
    return result;
  };

  const match = (
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | undefined => {
    const parts = path.split("/").slice(1);
    for (const route of routes) {
      if (route.method !== method) continue;
      const params = matchSegments(route, parts);
      if (params) return { route, params };
    }
    return undefined;
  };

  const matchSegments = (route: Route, parts: readonly string[]): Record<string, string> | undefined => {
    const multi = new Set(
      (route.operation.parameters ?? [])
        .map(resolveParameter)
        .filter((p) => p.in === "path" && p["x-multi-segment"])
        .map((p) => p.name),
    );
    const params: Record<string, string> = {};
    let i = 0;
    for (const [index, segment] of route.segments.entries()) {
      const part = parts[i];
      if (part === undefined || part === "") return undefined;
      if (!segment.startsWith("{")) {
        if (segment !== part) return undefined;
        i += 1;
        continue;
      }
      const name = segment.slice(1, -1);
      const isLast = index === route.segments.length - 1;
      if (isLast && multi.has(name)) {
        params[name] = parts.slice(i).map(decodeURIComponent).join("/");
        i = parts.length;
      } else {
        params[name] = decodeURIComponent(part);
        i += 1;
      }
    }
    return i === parts.length ? params : undefined;
  };

  const mediaOf = (operationId: string, status: number): MediaType | undefined => {
    const route = byId.get(operationId);
    if (!route) throw new Error(`no operation ${operationId} in the OpenAPI description`);
    let response = route.operation.responses[String(status)];
    if (response?.$ref) response = spec.components.responses[response.$ref.split("/").pop() ?? ""];
    return response?.content?.["application/json"];
  };

  const responseValidators = new Map<string, ValidateFunction | null>();

  return {
    version: spec.info.version,

    validateRequest(request) {
      const found = match(request.method, request.path);
      if (!found) {
        return {
          ok: false,
          issues: [
            `${request.method} ${request.path}: no such operation in the GitHub description (${GITHUB_OPENAPI_SUBSET} ` +
              "holds only GITHUB_OPERATIONS; if GitHub has it, list it there and run npm run openapi:subset)",
          ],
        };
      }
      const { route, params } = found;
      const operation: MatchedOperation = {
        operationId: route.operation.operationId,
        method: route.method,
        template: route.template,
        params,
      };
      const checks = compile(route.operation);
      const issues: string[] = [];
      if (checks.params && !checks.params({ ...params })) issues.push(...formatErrors("path", checks.params));

      const declared = new Set(checks.parameters.filter((p) => p.in === "query").map((p) => p.name));
      const query: Record<string, string | string[]> = {};
      for (const key of new Set(request.query.keys())) {
        if (!declared.has(key))
          issues.push(`query: parameter ${key} is not declared by ${operation.operationId}`);
        const all = request.query.getAll(key);
        query[key] = all.length === 1 ? (all[0] ?? "") : all;
      }
      if (checks.query && !checks.query(query)) issues.push(...formatErrors("query", checks.query));

      if (request.body === undefined) {
        if (checks.bodyRequired) issues.push("body: the operation requires a JSON body");
      } else if (!checks.body) {
        issues.push(`body: ${operation.operationId} takes no JSON body`);
      } else {
        if (!checks.body(request.body)) issues.push(...formatErrors("body", checks.body));
        if (checks.bodyProperties && request.body !== null && typeof request.body === "object") {
          for (const key of Object.keys(request.body)) {
            if (!checks.bodyProperties.has(key)) issues.push(`body: property ${key} is not in the schema`);
          }
        }
      }
      return issues.length === 0 ? { ok: true, operation } : { ok: false, operation, issues };
    },

    validateResponse(operationId, status, body) {
      const key = `${operationId} ${status}`;
      let validate = responseValidators.get(key);
      if (validate === undefined) {
        const schema = mediaOf(operationId, status)?.schema;
        validate = schema ? responseAjv.compile(schemaFor(responseAjv, schema)) : null;
        responseValidators.set(key, validate);
      }
      if (validate === null) return [];
      return validate(body) ? [] : formatErrors(`response ${status}`, validate);
    },

    example(operationId, status, name) {
      const examples = mediaOf(operationId, status)?.examples ?? {};
      const chosen = name ? examples[name] : Object.values(examples)[0];
      if (!chosen) throw new Error(`no example for ${operationId} ${status}${name ? ` (${name})` : ""}`);
      const value = chosen.$ref
        ? spec.components.examples[chosen.$ref.split("/").pop() ?? ""]?.value
        : chosen.value;
      return structuredClone(value);
    },
  };
}

let loaded: GitHubOpenApi | undefined;

/** The checked-in subset of the description for api.github.com, parsed once per worker. */
export function gitHubOpenApi(): GitHubOpenApi {
  if (!loaded) {
    const spec = JSON.parse(readFileSync(SUBSET, "utf8")) as Spec;
    checkSubset(spec);
    loaded = createGitHubOpenApi(spec);
  }
  return loaded;
}

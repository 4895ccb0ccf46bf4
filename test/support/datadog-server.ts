import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { client } from "@datadog/datadog-api-client";
import { CORPUS } from "./corpus.ts";

/**
 * A strict local Datadog API for adapter tests: the official client talks real HTTP to it on
 * 127.0.0.1 (through `baseServer`, which overrides every operation's host), and it answers only
 * what the test expected. An unexpected request gets a 400 (not retried by the adapter) and is
 * recorded, and `verify()` fails the test for it and for expectations left unmet.
 *
 * Replies are recorded Datadog responses: from `fixtures/corpus/datadog/responses/` where one
 * fits (`corpusResponse`), else realistic ones in `fixtures/datadog/` (`datadogFixture`).
 */

/** A request as the server saw it. */
export interface DatadogRequest {
  readonly method: string;
  /** Path without the query, e.g. `/api/v1/query`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** The parsed JSON body, when there is one. */
  readonly json?: unknown;
  /** Server-side epoch ms. */
  readonly at: number;
}

export interface DatadogReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** A JSON value (sent as `application/json`) or raw text. */
  readonly body: unknown;
}

export interface DatadogExpectation {
  readonly method: "GET" | "POST";
  readonly path: string;
  /** Extra condition, e.g. on the `query` parameter or the JSON body. */
  readonly match?: (request: DatadogRequest) => boolean;
  /** Replies in order, one per request; the last one repeats when `times` allows more. */
  readonly reply: DatadogReply | readonly DatadogReply[] | ((request: DatadogRequest) => DatadogReply);
  /** How many requests this answers; default: one per reply given. `Infinity`: any number, none required. */
  readonly times?: number;
  /** Names the expectation in `verify()` messages. */
  readonly name?: string;
}

export interface DatadogServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: DatadogRequest[];
  /** Requests no expectation answered. */
  readonly unexpected: DatadogRequest[];
  expect(expectation: DatadogExpectation): void;
  /** Throws when a request was unexpected or an expectation is still unmet. */
  verify(): void;
  close(): Promise<void>;
}

interface Pending {
  readonly expectation: DatadogExpectation;
  remaining: number;
  served: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function replyFor(pending: Pending, request: DatadogRequest): DatadogReply {
  const { reply } = pending.expectation;
  if (typeof reply === "function") return reply(request);
  if (Array.isArray(reply)) {
    const list = reply as readonly DatadogReply[];
    const chosen = list[Math.min(pending.served, list.length - 1)];
    if (chosen === undefined) throw new Error("an expectation with an empty reply list");
    return chosen;
  }
  return reply as DatadogReply;
}

/** Starts the server on 127.0.0.1 at a random free port. */
export async function startDatadogServer(): Promise<DatadogServer> {
  const requests: DatadogRequest[] = [];
  const unexpected: DatadogRequest[] = [];
  const pending: Pending[] = [];

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      let json: unknown;
      if (body !== "" && (req.headers["content-type"] ?? "").includes("json"))
        json = JSON.parse(body) as unknown;
      const recorded: DatadogRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        ...(json !== undefined ? { json } : {}),
        at: Date.now(),
      };
      requests.push(recorded);
      const slot = pending.find(
        (p) =>
          p.remaining > 0 &&
          p.expectation.method === recorded.method &&
          p.expectation.path === recorded.path &&
          (p.expectation.match?.(recorded) ?? true),
      );
      let reply: DatadogReply;
      if (slot === undefined) {
        unexpected.push(recorded);
        reply = { status: 400, body: { errors: [`unexpected request ${recorded.method} ${req.url}`] } };
      } else {
        reply = replyFor(slot, recorded);
        slot.remaining -= 1;
        slot.served += 1;
      }
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [String(error)] }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    expect(expectation) {
      const replies = Array.isArray(expectation.reply) ? expectation.reply.length : 1;
      pending.push({ expectation, remaining: expectation.times ?? replies, served: 0 });
    },
    verify() {
      const problems = [
        ...unexpected.map(
          (r) =>
            `unexpected ${r.method} ${r.path}${r.query.size > 0 ? `?${r.query}` : ""} ${r.body.slice(0, 300)}`,
        ),
        ...pending
          .filter((p) => p.remaining > 0 && p.remaining !== Number.POSITIVE_INFINITY)
          .map(
            (p) =>
              `expected ${p.remaining} more ${p.expectation.method} ${p.expectation.path}${p.expectation.name ? ` (${p.expectation.name})` : ""}`,
          ),
      ];
      if (problems.length > 0) throw new Error(`Datadog test server:\n${problems.join("\n")}`);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** Fake keys in Datadog's formats (32 / 40 hex), so tests can prove no note ever carries them. */
export const TEST_API_KEY = "0123456789abcdef0123456789abcdef";
export const TEST_APP_KEY = "fedcba9876543210fedcba9876543210fedcba98";

/**
 * The official client pointed at the test server: `baseServer` takes precedence over the site and
 * every operation-specific host. Client retries stay off (the adapter owns them).
 */
export function datadogConfiguration(server: { readonly url: string }): client.Configuration {
  return client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(server.url, {}),
    authMethods: { apiKeyAuth: TEST_API_KEY, appKeyAuth: TEST_APP_KEY },
    httpConfig: { compress: false },
  });
}

const RESPONSES = new URL("datadog/responses/", CORPUS);
const FIXTURES = new URL("../../fixtures/datadog/", import.meta.url);

/**
 * A recorded Datadog response body from the corpus (`fixtures/corpus/datadog/responses/`; sources in its
 * SOURCES.md, all from DataDog/datadog-api-client-typescript cassettes, Apache-2.0).
 */
export function corpusResponse(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`${name}.json`, RESPONSES), "utf8")) as unknown;
}

/** A response written for these tests, `fixtures/datadog/<name>.json` (see its README). */
export function datadogFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as unknown;
}

/** Helpers for expectations. */
export const on = {
  /** `GET /api/v1/query` for exactly this metric query. */
  metricQuery(query: string): Pick<DatadogExpectation, "method" | "path" | "match" | "name"> {
    return {
      method: "GET",
      path: "/api/v1/query",
      match: (r) => r.query.get("query") === query,
      name: query,
    };
  },
  /** `POST /api/v2/events/search` whose `filter.query` is this. */
  eventSearch(
    query: string,
    extra: (body: EventSearchBody) => boolean = () => true,
  ): Pick<DatadogExpectation, "method" | "path" | "match" | "name"> {
    return {
      method: "POST",
      path: "/api/v2/events/search",
      match: (r) => {
        const body = r.json as EventSearchBody | undefined;
        return body?.filter?.query === query && extra(body);
      },
      name: `events ${query}`,
    };
  },
  /** `GET /api/v1/monitor/{id}`. */
  monitor(id: number | string): Pick<DatadogExpectation, "method" | "path" | "name"> {
    return { method: "GET", path: `/api/v1/monitor/${id}`, name: `monitor ${id}` };
  },
};

/** The JSON body of `POST /api/v2/events/search` as the client sends it. */
export interface EventSearchBody {
  readonly filter?: { readonly query?: string; readonly from?: string; readonly to?: string };
  readonly sort?: string;
  readonly page?: { readonly limit?: number; readonly cursor?: string };
}

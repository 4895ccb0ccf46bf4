import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";

/**
 * What every rehearsal stand-in shares: a small stateful HTTP server on 127.0.0.1 (ephemeral port)
 * that the real AWS SDK v3 clients reach through `endpoint` (or `AWS_ENDPOINT_URL_<SERVICE>`), with
 * dummy credentials. A stand-in answers in the service's own wire protocol and error shapes, so the
 * SDK throws the same named errors it would against AWS.
 */

/** The rehearsal clock: epoch ms. The driver moves it; stand-ins read it on every request. */
export interface RehearsalClock {
  now(): number;
}

/** A running stand-in. */
export interface StandIn {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Calls served, keyed `<service>.<Operation>`, e.g. `sqs.ReceiveMessage`; failed calls included. */
  readonly calls: ReadonlyMap<string, number>;
  /**
   * Requests the stand-in could not take as the service would from a correct client: an unknown
   * operation, a malformed body, a missing or invalid parameter, an unknown queue or stack. Each got
   * the service's error reply; the driver fails the rehearsal loudly on any of them.
   */
  readonly unexpected: readonly string[];
  close(): Promise<void>;
}

/** One HTTP request as a stand-in sees it. */
export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The HTTP reply a service gives. */
export interface StandInReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a service made of one request. */
export interface Served {
  /** The operation the request named; empty when it named none. */
  readonly operation: string;
  readonly reply: StandInReply;
  /** Why the request was unknown or malformed (for {@link StandIn.unexpected}); absent when it was fine. */
  readonly unexpected?: string;
}

/** A stand-in was started with options it cannot serve; lists every problem at once. */
export class StandInConfigError extends Error {
  override readonly name = "StandInConfigError";
  constructor(
    readonly service: string,
    readonly issues: readonly string[],
  ) {
    super(`cannot start the ${service} stand-in:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

/** The driver asked a stand-in about something it does not hold (a queue that was not configured). */
export class StandInUsageError extends Error {
  override readonly name = "StandInUsageError";
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * Starts a stand-in for `service` on 127.0.0.1 at an ephemeral port: every request goes through
 * `handle`, is counted in `calls` under `<service>.<operation>` (`<service>.(none)` when it named no
 * operation) and, when `handle` says it was unexpected, listed in `unexpected`. A `handle` that throws
 * is a stand-in bug: the client gets HTTP 500 and the failure is listed as unexpected.
 */
export async function startStandIn(
  service: string,
  handle: (request: StandInRequest) => Served | Promise<Served>,
): Promise<StandIn> {
  const calls = new Map<string, number>();
  const unexpected: string[] = [];
  let requests = 0;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const request: StandInRequest = {
        method: req.method ?? "",
        path: req.url ?? "/",
        headers: req.headers,
        body: await readBody(req),
      };
      let served: Served;
      try {
        served = await handle(request);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        served = {
          operation: "",
          reply: { status: 500, headers: { "content-type": "text/plain" }, body: "stand-in failure" },
          unexpected: `stand-in failure: ${message}`,
        };
      }
      requests += 1;
      const key = `${service}.${served.operation || "(none)"}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      if (served.unexpected !== undefined) unexpected.push(`${key}: ${served.unexpected}`);
      res.writeHead(served.reply.status, {
        "x-amzn-requestid": `rehearsal-${service}-${requests}`,
        ...served.reply.headers,
      });
      res.end(served.reply.body);
    })().catch((error: unknown) => {
      unexpected.push(`${service}: cannot read the request: ${String(error)}`);
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });

  const url = await listenLocally(server);

  return {
    url,
    calls,
    unexpected,
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** Listens on 127.0.0.1 on a port the OS picks (HTTP/1.1 or HTTP/2 servers alike), and answers the server's `http://127.0.0.1:<port>`. */
export async function listenLocally(server: NetServer): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The value at `path` in `value`, for telling a missing parameter from a mistyped one. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

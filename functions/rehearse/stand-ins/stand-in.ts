import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { awsOperationOf, type FaultPlan, faultReply, fromDriver } from "../faults.ts";

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

/** The fault layer of a stand-in (`phantom rehearse --fault`). */
export interface StandInFaults {
  /** The rehearsal's faults; absent: none. */
  readonly faults?: FaultPlan;
  /** The operation a request names, read before the service sees it; default {@link awsOperationOf}. */
  readonly operationOf?: (request: StandInRequest) => string;
}

/**
 * What the fault layer does with one request of a handler (the driver's own are never faulted): a
 * throttle or 5xx answer in the service's own shape instead of the service's, `drop` (the socket is
 * destroyed: `reset`; or the request is held unanswered until the client times out: `timeout`), or
 * nothing (`undefined`): the service answers. A faulted request never reaches the service.
 */
export function injectedFault(
  service: string,
  operation: string,
  headers: IncomingHttpHeaders,
  faults: FaultPlan | undefined,
):
  | { readonly kind: "reply"; readonly reply: StandInReply }
  | { readonly kind: "reset" | "timeout" }
  | undefined {
  if (faults === undefined || fromDriver(headers)) return undefined;
  const fault = faults.serviceFault(service, operation);
  if (fault === undefined) return undefined;
  if (fault === "reset" || fault === "timeout") return { kind: fault };
  return { kind: "reply", reply: faultReply(service, fault) };
}

/**
 * Starts a stand-in for `service` on 127.0.0.1 at an ephemeral port: every request goes through
 * `handle`, is counted in `calls` under `<service>.<operation>` (`<service>.(none)` when it named no
 * operation) and, when `handle` says it was unexpected, listed in `unexpected`. A `handle` that throws
 * is a stand-in bug: the client gets HTTP 500 and the failure is listed as unexpected. With
 * `options.faults`, a request may get an injected fault instead (see {@link injectedFault}); it is
 * counted as a call too.
 */
export async function startStandIn(
  service: string,
  handle: (request: StandInRequest) => Served | Promise<Served>,
  options: StandInFaults = {},
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
      const operation = options.faults
        ? (options.operationOf ?? ((r: StandInRequest) => awsOperationOf(r.headers, r.body)))(request)
        : "";
      const fault = injectedFault(service, operation, req.headers, options.faults);
      if (fault !== undefined && fault.kind !== "reply") {
        const key = `${service}.${operation || "(none)"}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        // reset: no answer at all; timeout: held until the client gives up (or the stand-in closes).
        if (fault.kind === "reset") req.socket.destroy();
        return;
      }
      try {
        served = fault?.kind === "reply" ? { operation, reply: fault.reply } : await handle(request);
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

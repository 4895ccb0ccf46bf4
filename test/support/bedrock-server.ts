import { readFileSync } from "node:fs";
import { createServer, type Http2ServerRequest, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";

/**
 * A strict local Amazon Bedrock Runtime endpoint for adapter tests: the real
 * `@aws-sdk/client-bedrock-runtime` client talks real HTTP to it on 127.0.0.1 and gets scripted
 * Converse replies, in order. A request that is not a well-formed Converse call, or that arrives
 * when no reply is left, gets an error reply and is recorded, and `verify()` fails the test for it
 * (and for scripted replies left unused).
 *
 * Wire format of the installed client (3.1163, REST-JSON; checked by logging its requests and
 * feeding it these replies):
 * - Transport: HTTP/2. The Node runtime config builds `NodeHttp2Handler` (it also serves the
 *   bidirectional streaming operations), so over `http://` the client speaks cleartext HTTP/2 with
 *   prior knowledge; an HTTP/1.1 server only gets "Protocol error". Hence `node:http2`, not `node:http`.
 * - Request: `POST /model/{modelId}/converse`, the model id URL-encoded (`:` ► `%3A`),
 *   `content-type: application/json`, SigV4 with signing name `bedrock`
 *   (`Credential=<key>/<date>/us-east-1/bedrock/aws4_request`), `amz-sdk-request: attempt=1; max=1`.
 *   Body: `{messages, system, inferenceConfig, toolConfig}` (the model id is only in the path).
 * - Reply: 200 with JSON `{output: {message: {role, content: [{text} | {toolUse: {toolUseId, name,
 *   input}}]}}, stopReason, usage: {inputTokens, outputTokens, totalTokens, cacheReadInputTokens,
 *   cacheWriteInputTokens}, metrics: {latencyMs}}`; `toolUse.input` reaches the caller as a plain object.
 * - Errors: the status (429, 503, 403, …), `x-amzn-errortype: <Name>:http://internal.amazon.com/coral/com.amazon.bedrock/`
 *   and a JSON body `{message}`. The SDK throws an exception named `<Name>` (`ThrottlingException`,
 *   `$fault: "client"`, `$metadata.httpStatusCode: 429`). A body that is not JSON throws a
 *   `SyntaxError` that still carries `$metadata.httpStatusCode`.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */

/** A Converse request as the server saw it. */
export interface ConverseRecord {
  readonly method: string;
  readonly path: string;
  /** The model id decoded from the path; `undefined` when the path is not a Converse path. */
  readonly modelId?: string;
  readonly headers: Http2ServerRequest["headers"];
  /** The raw body, exactly as sent. */
  readonly body: string;
  /** The parsed body (`undefined` when it is not JSON). */
  readonly json?: ConverseBody;
  /** Why the request was refused, when it was. */
  readonly problem?: string;
}

/** The parts of a Converse request body the tests read. */
export interface ConverseBody {
  readonly messages: { role: string; content: Record<string, unknown>[] }[];
  readonly system?: Record<string, unknown>[];
  readonly inferenceConfig?: { maxTokens?: number; temperature?: number };
  readonly toolConfig?: { tools: Record<string, unknown>[]; toolChoice?: Record<string, unknown> };
  readonly [key: string]: unknown;
}

/** One scripted reply: a JSON body (object) or raw text, with the status and headers to send. */
export interface BedrockReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface BedrockServer {
  /** `http://127.0.0.1:<port>` to pass as the client's `endpoint`. */
  readonly endpoint: string;
  /** Every request, in arrival order. */
  readonly requests: ConverseRecord[];
  /** Requests refused: malformed, or with no reply left. */
  readonly unexpected: ConverseRecord[];
  /** Queues replies; each answers one Converse request, in order. */
  reply(...replies: BedrockReply[]): void;
  /** Throws when a request was refused or a scripted reply is still unused. */
  verify(): void;
  close(): Promise<void>;
}

export interface BedrockServerOptions {
  /** When set, a Converse call for another model is refused. */
  readonly modelId?: string;
  /** Called for each request before it is answered (e.g. to advance a virtual clock). */
  readonly onRequest?: (request: ConverseRecord) => void;
}

const CONVERSE_PATH = /^\/model\/([^/]+)\/converse$/;
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/;

/** The `x-amzn-errortype` value Bedrock sends for an exception name. */
export function errorType(name: string): string {
  return `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
}

function readBody(request: Http2ServerRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What is wrong with a request for a Converse call, or `undefined`. */
function problemOf(
  record: Omit<ConverseRecord, "problem">,
  expectedModel: string | undefined,
): string | undefined {
  if (record.method !== "POST") return `method ${record.method}`;
  if (record.modelId === undefined) return `path ${record.path} is not /model/{modelId}/converse`;
  if (expectedModel !== undefined && record.modelId !== expectedModel) return `model ${record.modelId}`;
  if (!String(record.headers["content-type"]).startsWith("application/json")) {
    return `content-type ${String(record.headers["content-type"])}`;
  }
  if (!SIGV4.test(String(record.headers.authorization)))
    return "no SigV4 authorization for bedrock in us-east-1";
  const json = record.json;
  if (json === undefined || !Array.isArray(json.messages) || json.messages.length === 0) {
    return "body is not a Converse request with messages";
  }
  return undefined;
}

/** Starts the server on 127.0.0.1 at a random free port (cleartext HTTP/2). */
export async function startBedrockServer(options: BedrockServerOptions = {}): Promise<BedrockServer> {
  const requests: ConverseRecord[] = [];
  const unexpected: ConverseRecord[] = [];
  const queue: BedrockReply[] = [];
  const sessions = new Set<Http2Session>();

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? "";
      const match = CONVERSE_PATH.exec(path);
      const json = parseJson(body);
      const base = {
        method: req.method,
        path,
        ...(match?.[1] !== undefined ? { modelId: decodeURIComponent(match[1]) } : {}),
        headers: req.headers,
        body,
        ...(typeof json === "object" && json !== null ? { json: json as ConverseBody } : {}),
      };
      const problem =
        problemOf(base, options.modelId) ?? (queue.length === 0 ? "no scripted reply left" : undefined);
      const record: ConverseRecord = problem === undefined ? base : { ...base, problem };
      requests.push(record);
      options.onRequest?.(record);

      let reply: BedrockReply;
      if (problem !== undefined) {
        unexpected.push(record);
        reply = {
          status: 400,
          headers: { "x-amzn-errortype": errorType("UnexpectedRequestException") },
          body: { message: `test server: ${problem}` },
        };
      } else {
        reply = queue.shift() as BedrockReply;
      }
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, {
        "content-type": "application/json",
        "x-amzn-requestid": `00000000-0000-4000-8000-${String(requests.length).padStart(12, "0")}`,
        ...reply.headers,
      });
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    reply(...replies) {
      queue.push(...replies);
    },
    verify() {
      const problems = [
        ...unexpected.map(
          (r) => `unexpected ${r.method} ${r.path}: ${r.problem ?? ""} ${r.body.slice(0, 200)}`,
        ),
        ...(queue.length > 0 ? [`${queue.length} scripted reply(ies) never requested`] : []),
      ];
      if (problems.length > 0) throw new Error(`Bedrock test server:\n${problems.join("\n")}`);
    },
    close() {
      for (const session of sessions) session.destroy();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/**
 * A Bedrock Runtime client pointed at the test server: region us-east-1, static fake credentials,
 * `maxAttempts: 1` (the adapter owns retries), and the SDK's own (HTTP/2) request handler.
 */
export function bedrockClient(server: BedrockServer): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret-test" },
    maxAttempts: 1,
  });
}

/** `fixtures/bedrock/<name>.json`: `{source, status?, headers?, body}`; `source` says where it came from. */
export function bedrockFixture(name: string): BedrockReply {
  const url = new URL(`../../fixtures/bedrock/${name}.json`, import.meta.url);
  const fixture = JSON.parse(readFileSync(url, "utf8")) as BedrockReply & { source?: string };
  const { source: _source, ...reply } = fixture;
  return reply;
}

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A strict local AWS endpoint for adapter tests: the real SDK clients talk real HTTP to it on
 * 127.0.0.1, and it answers only what the test expected. An unexpected request gets an error reply
 * and is recorded, and `verify()` fails the test for it (and for expectations left unmet).
 *
 * Wire protocols of the installed clients (@aws-sdk/client-* 3.1169, read from their
 * `runtimeConfig.shared.js` and checked against the requests below):
 * - CloudFormation: awsQuery. `POST /`, `content-type: application/x-www-form-urlencoded`, body
 *   `Action=<Op>&Version=2010-05-15&...` (lists as `Member.N`); XML replies
 *   `<OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>`, lists as `<member>`,
 *   errors `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * - SQS: AWS JSON 1.0. `POST /`, `content-type: application/x-amz-json-1.0`,
 *   `x-amz-target: AmazonSQS.<Op>`, JSON body; JSON replies (`MD5OfMessageBody` is checked by the SDK).
 */

/** A request as the server saw it. `startedAt` / `endedAt` are server-side epoch ms. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** The operation: the `Action` form field (awsQuery) or the `x-amz-target` suffix (JSON). */
  readonly action: string;
  /** Form fields (awsQuery). */
  readonly params: URLSearchParams;
  /** The parsed JSON body (JSON protocols). */
  readonly json?: unknown;
  readonly startedAt: number;
  /** When the server began sending the reply, after any `delayMs` (the client cannot have it sooner). */
  endedAt?: number;
}

export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  /** Hold the reply this long, so concurrent requests overlap visibly. */
  readonly delayMs?: number;
}

export interface Expectation {
  readonly action: string;
  /** Extra condition on the request, e.g. a form field. */
  readonly match?: (request: RecordedRequest) => boolean;
  readonly reply: Reply | ((request: RecordedRequest) => Reply);
  /** How many requests this answers; default 1. `Infinity` answers any number, and none is required. */
  readonly times?: number;
}

export interface AwsServer {
  /** `http://127.0.0.1:<port>` to pass as the SDK client's `endpoint`. */
  readonly endpoint: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests that no expectation answered. */
  readonly unexpected: RecordedRequest[];
  expect(expectation: Expectation): void;
  /** Throws when a request was unexpected or an expectation is still unmet. */
  verify(): void;
  close(): Promise<void>;
}

interface Pending {
  readonly expectation: Expectation;
  remaining: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function actionOf(headers: IncomingMessage["headers"], params: URLSearchParams): string {
  const target = headers["x-amz-target"];
  if (typeof target === "string") return target.slice(target.lastIndexOf(".") + 1);
  return params.get("Action") ?? "";
}

/** Starts the server on 127.0.0.1 at a random free port. */
export async function startAwsServer(): Promise<AwsServer> {
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const pending: Pending[] = [];

  const server: Server = createServer((req, res) => {
    void (async () => {
      const startedAt = Date.now();
      const body = await readBody(req);
      const contentType = req.headers["content-type"] ?? "";
      const params = contentType.includes("x-www-form-urlencoded")
        ? new URLSearchParams(body)
        : new URLSearchParams();
      let json: unknown;
      if (contentType.includes("json") && body !== "") json = JSON.parse(body) as unknown;
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
        action: actionOf(req.headers, params),
        params,
        ...(json !== undefined ? { json } : {}),
        startedAt,
      };
      requests.push(recorded);

      const slot = pending.find(
        (p) =>
          p.remaining > 0 &&
          p.expectation.action === recorded.action &&
          (p.expectation.match?.(recorded) ?? true),
      );
      let reply: Reply;
      if (slot === undefined) {
        unexpected.push(recorded);
        reply = queryErrorReply({
          status: 500,
          type: "Receiver",
          code: "UnexpectedRequest",
          message: "not expected",
        });
      } else {
        slot.remaining -= 1;
        const { reply: r } = slot.expectation;
        reply = typeof r === "function" ? r(recorded) : r;
      }
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      res.writeHead(reply.status ?? 200, {
        "content-type": "text/xml",
        "x-amzn-requestid": `req-${requests.length}`,
        ...reply.headers,
      });
      recorded.endedAt = Date.now();
      res.end(reply.body);
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    expect(expectation) {
      pending.push({ expectation, remaining: expectation.times ?? 1 });
    },
    verify() {
      const problems = [
        ...unexpected.map((r) => `unexpected ${r.action || r.method} ${r.path} ${r.body.slice(0, 200)}`),
        ...pending
          .filter((p) => p.remaining > 0 && p.remaining !== Number.POSITIVE_INFINITY)
          .map((p) => `expected ${p.remaining} more ${p.expectation.action} request(s)`),
      ];
      if (problems.length > 0) throw new Error(`AWS test server:\n${problems.join("\n")}`);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/* ---------- awsQuery (CloudFormation) rendering ---------- */

function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/**
 * Renders a JSON value (as the CLI or a recording shows an API response) in the awsQuery XML
 * shape: members as elements, lists as `<member>` items, scalars as text. A property that is an
 * object where the API has a string (`ExpectedProperties` in some recordings) is sent as JSON text.
 */
export function toQueryXml(value: unknown, stringMembers: ReadonlySet<string> = JSON_STRING_MEMBERS): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value))
    return value.map((v) => `<member>${toQueryXml(v, stringMembers)}</member>`).join("");
  if (typeof value === "object") {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => {
        const inner =
          stringMembers.has(k) && typeof v === "object"
            ? escapeXml(JSON.stringify(v))
            : toQueryXml(v, stringMembers);
        return `<${k}>${inner}</${k}>`;
      })
      .join("");
  }
  return escapeXml(String(value));
}

/** StackResourceDrift members the API types as JSON strings. */
const JSON_STRING_MEMBERS: ReadonlySet<string> = new Set(["ExpectedProperties", "ActualProperties"]);

const CFN_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/** A successful awsQuery reply: `<OpResponse><OpResult>{result}</OpResult>…</OpResponse>`. */
export function queryReply(
  action: string,
  result: Record<string, unknown>,
  extra: Partial<Reply> = {},
): Reply {
  const body =
    `<${action}Response xmlns="${CFN_XMLNS}"><${action}Result>${toQueryXml(result)}</${action}Result>` +
    `<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, ...extra, body };
}

/** An awsQuery error reply, e.g. `{code: "Throttling", message: "Rate exceeded"}` with HTTP 400. */
export function queryErrorReply(error: {
  readonly code: string;
  readonly message: string;
  readonly type?: "Sender" | "Receiver";
  readonly status?: number;
  readonly delayMs?: number;
}): Reply {
  const body =
    `<ErrorResponse xmlns="${CFN_XMLNS}"><Error><Type>${error.type ?? "Sender"}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>00000000-0000-0000-0000-000000000001</RequestId></ErrorResponse>`;
  return { status: error.status ?? 400, body, ...(error.delayMs ? { delayMs: error.delayMs } : {}) };
}

/* ---------- AWS JSON 1.0 (SQS) rendering ---------- */

/** A successful AWS JSON 1.0 reply. */
export function jsonReply(body: unknown, extra: Partial<Reply> = {}): Reply {
  return {
    status: 200,
    ...extra,
    headers: { "content-type": "application/x-amz-json-1.0", ...extra.headers },
    body: JSON.stringify(body),
  };
}

/** SQS SendMessage's reply for a request, with the body MD5 the SDK verifies. */
export function sqsSendMessageReply(
  request: RecordedRequest,
  messageId = "0b8c8f2e-0000-4000-8000-000000000000",
): Reply {
  const input = request.json as { MessageBody?: string };
  const md5 = createHash("md5")
    .update(input.MessageBody ?? "")
    .digest("hex");
  return jsonReply({ MD5OfMessageBody: md5, MessageId: messageId });
}

/** Static fake credentials and the region for SDK clients pointed at the test server. */
export function clientConfig(server: AwsServer) {
  return {
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret-test" },
    // The adapters own retries (and count every call); the SDK must not retry behind them.
    maxAttempts: 1,
  };
}

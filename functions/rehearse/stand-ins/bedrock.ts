import { createHash } from "node:crypto";
import { constants, createServer, type Http2ServerRequest, type Http2Session } from "node:http2";
import { z } from "zod";
import { DATA_BEGIN, DATA_END, estimateTokens } from "../../../core/analysis/prompt.ts";
import { createRulesAnalyst } from "../../../core/analysis/rules.ts";
import { ASSESSMENT_TOOL_NAME, MAX_REASONING_CHARS } from "../../../core/analysis/schema.ts";
import {
  type AnalysisContext,
  type ContextChange,
  ENVIRONMENTS,
  type Recommendation,
} from "../../../core/analysis/types.ts";
import { DIFFERENCE_TYPES } from "../../../core/drift/types.ts";
import type { SignalsReport } from "../../../core/signals/types.ts";
import type { FaultPlan } from "../faults.ts";
import {
  injectedFault,
  listenLocally,
  type RehearsalClock,
  type Served,
  type StandIn,
  type StandInRequest,
} from "./stand-in.ts";

/**
 * The Amazon Bedrock Runtime stand-in of `phantom rehearse`: plays Claude for the Converse calls of
 * the Bedrock analyst (`functions/adapters/bedrock-analyst.ts`) by answering, through the forced
 * assessment tool, exactly what the rules analyzer (`createRulesAnalyst`) decides for the window in
 * the request (or, with `assess`, a scripted answer). The real `@aws-sdk/client-bedrock-runtime`
 * reaches it with `endpoint: url`, any region and dummy credentials.
 *
 * - Transport: cleartext HTTP/2 (`node:http2`). The client's Node runtime builds `NodeHttp2Handler`,
 *   which speaks HTTP/2 with prior knowledge over `http://`; an HTTP/1.1 server only gets
 *   "Protocol error" (see `test/support/bedrock-server.ts`).
 * - `POST /model/{modelId}/converse` (`bedrock-runtime.Converse`): the window's context is read back
 *   from the first user message's data block (`DATA_BEGIN` … `DATA_END`, the JSON `renderContext`
 *   writes), the rules analyzer decides, and the reply is a `toolUse` of `record_drift_assessment`
 *   with `stopReason: "tool_use"` (or `max_tokens` when the answer would not fit `maxTokens`). A
 *   repair turn (the assistant's answer and a `toolResult` appended) gets the same answer again.
 * - `usage`: tokens estimated from text length (`estimateTokens`), with prompt caching as Bedrock
 *   does it for Claude: the prefix up to the system `cachePoint` (tool schema, tool-use system
 *   prompt, system text) is written to the cache on a miss and read on a hit within five minutes of
 *   the rehearsal clock, when it reaches the model's 1,024-token minimum; `totalTokens` sums input,
 *   output and cache tokens. `metrics.latencyMs`: 600 ms to the first token, then 15 ms a token.
 * - Rejected as Bedrock rejects them (400 `ValidationException`): no messages, a conversation that
 *   does not start with `user` or does not alternate, an empty content list, a tool result that
 *   answers no tool use of the previous turn, a tool name outside `[a-zA-Z0-9_-]{1,64}`, a tool
 *   schema whose root is not an object, a `toolChoice.tool` that names no tool, `maxTokens` above
 *   the model's 64,000 or a temperature outside [0, 1], a model id not in `models`. Unsigned
 *   requests get 403 `MissingAuthenticationTokenException`, other routes 404
 *   `UnknownOperationException`.
 * - Refused because the stand-in could not play the model, though Bedrock would take them (also 400
 *   `ValidationException`, message prefixed `rehearsal stand-in:`): no system prompt, no
 *   `record_drift_assessment` tool, a `toolChoice` that does not force it, a first user message
 *   without a readable data block.
 * Every refused request is listed in `unexpected`.
 *
 * What the data block loses, and how it is restored for the rules analyzer: `promptView` drops each
 * change's `logicalId`, `propertyPath` and `actors`. The first two are read back from the change
 * `id` (`<LogicalId><propertyPath>`, `#n` appended to repeats: the logical id is the part before
 * the first `/` or `#`); a property path that itself ends in `#<digits>` cannot be told from a
 * repeat. `actors` stays empty: the rules analyzer does not read it (`window.timeline` has the same).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing (tool-use system prompt tokens)
 */

const SERVICE = "bedrock-runtime";
const CONVERSE_PATH = /^\/model\/([^/]+)\/converse$/;
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;
/** Claude Sonnet 4.5's output limit. */
const MAX_OUTPUT_TOKENS = 64_000;
/** Claude Sonnet's minimum tokens per cache checkpoint. */
const MIN_CACHE_TOKENS = 1024;
const CACHE_TTL_MS = 5 * 60_000;
/** What Claude adds to the prompt for tool use with `tool_choice` forcing one tool. */
const TOOL_SYSTEM_TOKENS = 313;
const FIRST_TOKEN_MS = 600;
const MS_PER_OUTPUT_TOKEN = 15;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Options of {@link startBedrockStandIn}. */
export interface BedrockStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  /** The rehearsal clock, for the prompt cache's five minutes. Default: the wall clock. */
  readonly clock?: RehearsalClock;
  /** Model ids served; another gets `ValidationException`. Default: any. */
  readonly models?: readonly string[];
  /**
   * A scripted model: answers the context read from the data block with these recommendations
   * instead of the rules analyzer's (e.g. "legitimize" for a tag addressed to the reviewer, to
   * show the guardrails hold whatever the model says). Default: the rules analyzer.
   */
  readonly assess?: (
    context: AnalysisContext,
  ) => readonly Recommendation[] | Promise<readonly Recommendation[]>;
}

/** One Converse call the stand-in answered. */
export interface ConverseRequest {
  readonly modelId: string;
  /** The change ids of the context in the data block, in order. */
  readonly changeIds: readonly string[];
  /** `true` for a repair turn (the conversation carries the previous answer and a tool result). */
  readonly repair: boolean;
  /** The context read back from the data block, as the model would read it. */
  readonly context: AnalysisContext;
  /** The first user message's text: what the model reads of the window. */
  readonly prompt: string;
  /** Whether the system prompt carries a `cachePoint` block after its text. */
  readonly cachePoint: boolean;
}

/** The running Bedrock Runtime stand-in. */
export interface BedrockStandIn extends StandIn {
  /** The Converse calls answered, in arrival order. */
  requests(): readonly ConverseRequest[];
}

/* ---------- replies ---------- */

function errorType(name: string): string {
  return `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
}

function fail(operation: string, status: number, name: string, message: string): Served {
  return {
    operation,
    reply: {
      status,
      headers: { "content-type": "application/json", "x-amzn-errortype": errorType(name) },
      body: JSON.stringify({ message }),
    },
    unexpected: `${name}: ${message}`,
  };
}

/* ---------- the request ---------- */

const block = z.record(z.string(), z.unknown());

const converseSchema = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string(), content: z.array(block) })),
  system: z.array(block).optional(),
  inferenceConfig: z
    .looseObject({ maxTokens: z.number().int().optional(), temperature: z.number().optional() })
    .optional(),
  toolConfig: z
    .looseObject({
      tools: z.array(block),
      toolChoice: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

type Converse = z.infer<typeof converseSchema>;

const toolSpecSchema = z.looseObject({
  name: z.string(),
  inputSchema: z.looseObject({ json: z.looseObject({ type: z.unknown() }) }),
});

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
}

/** What Bedrock itself rejects, as its ValidationException message; `undefined` when valid. */
function bedrockProblem(body: Converse): string | undefined {
  const { messages } = body;
  if (messages.length === 0) return "The messages field is required and must not be empty.";
  if (messages[0]?.role !== "user")
    return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
  for (let i = 0; i < messages.length; i += 1) {
    const message = messages[i];
    if (message === undefined) continue;
    if (message.role !== "user" && message.role !== "assistant")
      return `messages.${i}.role: must be user or assistant`;
    if (i > 0 && messages[i - 1]?.role === message.role)
      return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";
    if (message.content.length === 0) return `messages.${i}.content: must not be empty`;
    const answered = message.content.flatMap((b) => {
      const id = (b.toolResult as { toolUseId?: unknown } | undefined)?.toolUseId;
      return id === undefined ? [] : [String(id)];
    });
    if (answered.length > 0) {
      const asked = new Set(
        (messages[i - 1]?.content ?? []).flatMap((b) => {
          const id = (b.toolUse as { toolUseId?: unknown } | undefined)?.toolUseId;
          return id === undefined ? [] : [String(id)];
        }),
      );
      const stray = answered.find((id) => !asked.has(id));
      if (stray !== undefined)
        return `messages.${i}: the toolResult ${stray} does not answer a toolUse of the previous turn`;
    }
  }
  const config = body.inferenceConfig;
  if (config?.maxTokens !== undefined && (config.maxTokens < 1 || config.maxTokens > MAX_OUTPUT_TOKENS))
    return `The maximum tokens you requested (${config.maxTokens}) exceeds the model limit of ${MAX_OUTPUT_TOKENS}. Try again with a maximum tokens value that is lower than ${MAX_OUTPUT_TOKENS}.`;
  if (config?.temperature !== undefined && (config.temperature < 0 || config.temperature > 1))
    return "inferenceConfig.temperature: must be between 0 and 1";
  if (body.toolConfig !== undefined) {
    const names: string[] = [];
    for (const [i, tool] of body.toolConfig.tools.entries()) {
      if (tool.cachePoint !== undefined) continue;
      const spec = toolSpecSchema.safeParse(tool.toolSpec);
      if (!spec.success) return `toolConfig.tools.${i}.toolSpec: ${issuesOf(spec.error)}`;
      if (!TOOL_NAME.test(spec.data.name))
        return `toolConfig.tools.${i}.toolSpec.name: must match [a-zA-Z0-9_-]{1,64}`;
      if (spec.data.inputSchema.json.type !== "object")
        return "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object.";
      names.push(spec.data.name);
    }
    if (names.length === 0) return "toolConfig.tools: must contain at least one tool";
    const forced = (body.toolConfig.toolChoice?.tool as { name?: unknown } | undefined)?.name;
    if (forced !== undefined && !names.includes(String(forced)))
      return `toolConfig.toolChoice.tool.name: ${String(forced)} is not one of the tools`;
  }
  return undefined;
}

/** What keeps the stand-in from playing the model, though Bedrock would take it; `undefined` when none. */
function standInProblem(body: Converse): string | undefined {
  if (!body.system?.some((b) => typeof b.text === "string" && b.text !== "")) return "no system prompt";
  const tools = body.toolConfig?.tools ?? [];
  if (!tools.some((t) => (t.toolSpec as { name?: unknown } | undefined)?.name === ASSESSMENT_TOOL_NAME))
    return `no ${ASSESSMENT_TOOL_NAME} tool in toolConfig`;
  const forced = (body.toolConfig?.toolChoice?.tool as { name?: unknown } | undefined)?.name;
  if (forced !== ASSESSMENT_TOOL_NAME) return `toolChoice does not force ${ASSESSMENT_TOOL_NAME}`;
  return undefined;
}

/* ---------- the data block ► the analysis context ---------- */

const costSchema = z.looseObject({
  safeMonthlyUsd: z.number().nullable(),
  currentMonthlyUsd: z.number().nullable(),
  deltaMonthlyUsd: z.number().nullable(),
  basis: z.string().optional(),
  candidates: z.array(z.looseObject({ value: z.unknown(), monthlyUsd: z.number() })).optional(),
});

const figure = z.number().optional();

/** The context as `promptView` shows it: changes without `logicalId`, `propertyPath` and `actors`. */
const promptViewSchema = z.looseObject({
  stack: z.string(),
  environment: z.enum(ENVIRONMENTS),
  region: z.string().optional(),
  window: z.looseObject({
    id: z.string(),
    firstEventAt: z.string().nullable(),
    lastEventAt: z.string().nullable(),
    timeline: z.array(z.string()),
  }),
  changes: z.array(
    z.looseObject({
      id: z.string().min(1),
      resourceType: z.string(),
      differenceType: z.enum(DIFFERENCE_TYPES),
      expected: z.unknown(),
      actual: z.unknown(),
      cost: costSchema,
    }),
  ),
  templateFragments: z.string(),
  signals: z.looseObject({
    monitors: z.array(
      z.looseObject({
        name: z.string(),
        status: z.string(),
        triggeredAt: z.string(),
        priority: z.number().optional(),
        resolvedAt: z.string().optional(),
      }),
    ),
    metrics: z.array(
      z.looseObject({
        resource: z.string(),
        metric: z.string(),
        before: figure,
        during: figure,
        peak: figure,
        after: figure,
      }),
    ),
    notes: z.array(z.string()),
  }),
});

/** `AppServer/Tags/1#2` ► `AppServer` and `/Tags/1` (see the module comment). */
function splitId(id: string): { logicalId: string; propertyPath: string } {
  const logicalId = /^[^/#]*/.exec(id)?.[0] ?? id;
  return { logicalId, propertyPath: id.slice(logicalId.length).replace(/#\d+$/, "") };
}

/** The analysis context in the first user message's data block, or why it cannot be read. */
function readContext(body: Converse): { ok: true; context: AnalysisContext } | { ok: false; why: string } {
  const text = (body.messages[0]?.content ?? [])
    .map((b) => (typeof b.text === "string" ? b.text : ""))
    .find((t) => t.includes(DATA_BEGIN));
  if (text === undefined) return { ok: false, why: `no ${DATA_BEGIN} in the first user message` };
  const start = text.indexOf(DATA_BEGIN);
  const end = text.indexOf(DATA_END, start);
  const fenced = /^\s*```json\n([\s\S]*)\n```\s*$/.exec(text.slice(start + DATA_BEGIN.length, end));
  if (end < 0 || fenced?.[1] === undefined)
    return { ok: false, why: "the data block is not one fenced JSON block" };
  let json: unknown;
  try {
    json = JSON.parse(fenced[1]) as unknown;
  } catch (error) {
    return { ok: false, why: `the data block is not JSON: ${(error as Error).message}` };
  }
  const view = promptViewSchema.safeParse(json);
  if (!view.success)
    return { ok: false, why: `the data block is not an analysis context: ${issuesOf(view.error)}` };
  const changes: ContextChange[] = view.data.changes.map((c) => ({
    ...c,
    ...splitId(c.id),
    actors: [],
  }));
  return {
    ok: true,
    context: { ...view.data, changes, signals: view.data.signals as SignalsReport } as AnalysisContext,
  };
}

/* ---------- the stand-in ---------- */

function readBody(request: Http2ServerRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Text the model reads, for the token estimate: text blocks as they are, other blocks as JSON. */
function blocksText(blocks: readonly Record<string, unknown>[]): string {
  return blocks
    .filter((b) => b.cachePoint === undefined)
    .map((b) => (typeof b.text === "string" ? b.text : JSON.stringify(b)))
    .join("\n");
}

/**
 * Starts the Bedrock Runtime stand-in on 127.0.0.1 at an ephemeral port (cleartext HTTP/2). See
 * the module comment for what it answers and refuses.
 */
export async function startBedrockStandIn(options: BedrockStandInOptions = {}): Promise<BedrockStandIn> {
  const clock = options.clock ?? { now: Date.now };
  const rules = createRulesAnalyst();
  const calls = new Map<string, number>();
  const unexpected: string[] = [];
  const answered: ConverseRequest[] = [];
  /** Cached prefix hash ► epoch ms it expires. */
  const cache = new Map<string, number>();
  const sessions = new Set<Http2Session>();
  let served = 0;

  async function converse(request: StandInRequest, modelId: string): Promise<Served> {
    const operation = "Converse";
    if (!SIGV4.test(String(request.headers.authorization ?? "")))
      return fail(operation, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    if (options.models !== undefined && !options.models.includes(modelId))
      return fail(operation, 400, "ValidationException", "The provided model identifier is invalid.");
    if (!String(request.headers["content-type"] ?? "").startsWith("application/json"))
      return fail(operation, 400, "ValidationException", "the body must be application/json");
    let json: unknown;
    try {
      json = JSON.parse(request.body) as unknown;
    } catch {
      return fail(operation, 400, "SerializationException", "the body is not JSON");
    }
    const parsed = converseSchema.safeParse(json);
    if (!parsed.success) return fail(operation, 400, "ValidationException", issuesOf(parsed.error));
    const body = parsed.data;
    const invalid = bedrockProblem(body);
    if (invalid !== undefined) return fail(operation, 400, "ValidationException", invalid);
    const unplayable = standInProblem(body);
    if (unplayable !== undefined)
      return fail(operation, 400, "ValidationException", `rehearsal stand-in: ${unplayable}`);
    const read = readContext(body);
    if (!read.ok) return fail(operation, 400, "ValidationException", `rehearsal stand-in: ${read.why}`);
    const { context } = read;

    const recommendations =
      options.assess !== undefined
        ? await options.assess(context)
        : (await rules.analyze(context)).recommendations;
    const input = {
      recommendations: recommendations.map((r) => ({
        changeId: r.changeId,
        decision: r.decision,
        ...(r.decision === "refactor" ? { proposed: r.proposed } : {}),
        confidence: r.confidence,
        severity: r.severity,
        reasoning:
          r.reasoning.length > MAX_REASONING_CHARS
            ? `${r.reasoning.slice(0, MAX_REASONING_CHARS - 1)}…`
            : r.reasoning,
      })),
    };
    answered.push({
      modelId,
      changeIds: context.changes.map((c) => c.id),
      repair: body.messages.length > 1,
      context,
      prompt: (body.messages[0]?.content ?? [])
        .map((b) => (typeof b.text === "string" ? b.text : ""))
        .join("\n"),
      cachePoint: (body.system ?? []).some((b) => b.cachePoint !== undefined),
    });

    // Prompt caching: tools, the tool-use system prompt and the system text up to the cache point.
    const system = body.system ?? [];
    const point = system.findIndex((b) => b.cachePoint !== undefined);
    const tools = JSON.stringify(body.toolConfig?.tools ?? []);
    const prefixTokens =
      TOOL_SYSTEM_TOKENS +
      estimateTokens(tools) +
      estimateTokens(blocksText(point < 0 ? system : system.slice(0, point)));
    const restTokens =
      (point < 0 ? 0 : estimateTokens(blocksText(system.slice(point + 1)))) +
      estimateTokens(body.messages.map((m) => blocksText(m.content)).join("\n"));
    const now = clock.now();
    let cacheRead = 0;
    let cacheWrite = 0;
    let inputTokens = prefixTokens + restTokens;
    if (point >= 0 && prefixTokens >= MIN_CACHE_TOKENS) {
      const key = createHash("sha256")
        .update(`${modelId}\u0000${tools}\u0000${JSON.stringify(system.slice(0, point))}`)
        .digest("hex");
      if ((cache.get(key) ?? 0) > now) cacheRead = prefixTokens;
      else cacheWrite = prefixTokens;
      cache.set(key, now + CACHE_TTL_MS);
      inputTokens = restTokens;
    }
    const wanted = estimateTokens(JSON.stringify(input)) + 20;
    const maxTokens = body.inferenceConfig?.maxTokens ?? 4096;
    const outputTokens = Math.min(wanted, maxTokens);
    served += 1;
    const toolUseId = `tooluse_${createHash("sha256").update(`${served}\u0000${request.body}`).digest("base64url").slice(0, 22)}`;
    return {
      operation,
      reply: {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          output: {
            message: {
              role: "assistant",
              content: [{ toolUse: { toolUseId, name: ASSESSMENT_TOOL_NAME, input } }],
            },
          },
          stopReason: wanted > maxTokens ? "max_tokens" : "tool_use",
          usage: {
            inputTokens,
            outputTokens,
            totalTokens: inputTokens + outputTokens + cacheRead + cacheWrite,
            cacheReadInputTokens: cacheRead,
            cacheWriteInputTokens: cacheWrite,
          },
          metrics: { latencyMs: FIRST_TOKEN_MS + outputTokens * MS_PER_OUTPUT_TOKEN },
        }),
      },
    };
  }

  async function handle(request: StandInRequest): Promise<Served> {
    const match = CONVERSE_PATH.exec(request.path.split("?")[0] ?? "");
    if (request.method !== "POST" || match?.[1] === undefined)
      return fail("", 404, "UnknownOperationException", `no operation at ${request.method} ${request.path}`);
    return converse(request, decodeURIComponent(match[1]));
  }

  const server = createServer((req, res) => {
    void (async () => {
      const request: StandInRequest = {
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: await readBody(req),
      };
      let outcome: Served;
      const fault = injectedFault(
        SERVICE,
        CONVERSE_PATH.test(request.path.split("?")[0] ?? "") ? "Converse" : "",
        req.headers,
        options.faults,
      );
      if (fault !== undefined && fault.kind !== "reply") {
        calls.set(`${SERVICE}.Converse`, (calls.get(`${SERVICE}.Converse`) ?? 0) + 1);
        // reset: the stream is refused; timeout: held until the client gives up (or the stand-in closes).
        if (fault.kind === "reset") req.stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      try {
        outcome =
          fault?.kind === "reply" ? { operation: "Converse", reply: fault.reply } : await handle(request);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        outcome = {
          ...fail("", 500, "InternalServerException", "stand-in failure"),
          unexpected: `stand-in failure: ${message}`,
        };
      }
      const key = `${SERVICE}.${outcome.operation || "(none)"}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      if (outcome.unexpected !== undefined) unexpected.push(`${key}: ${outcome.unexpected}`);
      res.writeHead(outcome.reply.status, {
        "x-amzn-requestid": `rehearsal-${SERVICE}-${[...calls.values()].reduce((a, b) => a + b, 0)}`,
        ...outcome.reply.headers,
      });
      res.end(outcome.reply.body);
    })().catch((error: unknown) => {
      unexpected.push(`${SERVICE}: cannot read the request: ${String(error)}`);
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });

  const url = await listenLocally(server);

  return {
    url,
    calls,
    unexpected,
    requests: () => [...answered],
    close() {
      for (const session of sessions) session.destroy();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

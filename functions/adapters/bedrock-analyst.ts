import {
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type Message,
  type ToolUseBlock,
} from "@aws-sdk/client-bedrock-runtime";
import { renderContext, SYSTEM_PROMPT } from "../../core/analysis/prompt.ts";
import { ASSESSMENT_TOOL_NAME, parseAssessment, toolSpec } from "../../core/analysis/schema.ts";
import type { AnalysisContext, Analyst, AnalystResult, AnalyzerUsage } from "../../core/analysis/types.ts";
import type { Logger } from "../log.ts";
import { backoffDelay, errorMessage, errorName } from "./cloudformation.ts";

/**
 * The Analyst port on Claude in Amazon Bedrock (DESIGN §2): one Converse call per window, the
 * answer forced through a single tool whose input is validated with zod; one repair turn when it
 * fails validation; the rules analyzer (the injected `fallback`) when Bedrock cannot answer.
 */

/** What `createBedrockAnalyst` needs: the client and model, the fallback, and the injected effects. */
export interface BedrockAnalystOptions {
  /**
   * The Bedrock Runtime client, region and credentials set by the composition root. This adapter
   * owns retries, so build it with `maxAttempts: 1`: SDK retries behind these would multiply them.
   */
  readonly client: BedrockRuntimeClient;
  /**
   * Model id, inference-profile id (`us.…`, `eu.…`, `global.…`) or ARN, e.g.
   * `us.anthropic.claude-sonnet-4-5-20250929-v1:0`. Claude 4 models are invoked through inference
   * profiles. Forcing one tool (`toolChoice.tool`) needs an Anthropic Claude or Amazon Nova model.
   * @see https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
   */
  readonly modelId: string;
  /** Answers when Bedrock cannot: the rules analyzer. Its result is returned with `fallbackReason`. */
  readonly fallback: Analyst;
  /** `inferenceConfig.maxTokens`. Default 8192 (about 30 recommendations with full reasoning). */
  readonly maxTokens?: number;
  /** Retries of one Converse call on throttling or unavailability. Default 3 (four calls at most). */
  readonly retries?: number;
  /** First backoff step; each retry doubles it, with equal jitter. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Cap of one backoff step. Default 10 s. */
  readonly maxDelayMs?: number;
  /** Waits between retries; injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Epoch ms; measures `latencyMs`. */
  readonly now?: () => number;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** Retries and fallbacks are logged here (never prompts, answers or credentials). */
  readonly logger?: Logger;
}

/**
 * Errors worth another try: throttling and unavailability (the Converse errors a retry can cure),
 * by exception name or by HTTP status when the body could not be read.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors
 */
const RETRYABLE_ERRORS = new Set([
  "ThrottlingException",
  "ServiceUnavailableException",
  "ModelNotReadyException",
]);
const RETRYABLE_STATUS = new Set([429, 503]);

function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  return RETRYABLE_ERRORS.has(errorName(error)) || (status !== undefined && RETRYABLE_STATUS.has(status));
}

/** `ThrottlingException (HTTP 429): Too many requests…`, cut short; AWS error text only. */
function describe(error: unknown): string {
  const status = statusOf(error);
  const message = errorMessage(error).replace(/\s+/g, " ").trim().replace(/\.$/, "");
  const short = message.length > 200 ? `${message.slice(0, 197)}...` : message;
  return `${errorName(error)}${status === undefined ? "" : ` (HTTP ${status})`}${short ? `: ${short}` : ""}`;
}

/** Problems listed in the repair turn; more are summarised. */
const MAX_LISTED_ISSUES = 40;

function listIssues(issues: readonly string[]): string {
  const shown = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `- ${issue}`);
  if (issues.length > MAX_LISTED_ISSUES) shown.push(`- … and ${issues.length - MAX_LISTED_ISSUES} more`);
  return shown.join("\n");
}

/** Token counts summed over the Converse turns of one analysis. */
class Tally {
  turns = 0;
  inputTokens = 0;
  outputTokens = 0;
  cacheReadInputTokens = 0;
  cacheWriteInputTokens = 0;

  add(response: ConverseCommandOutput): void {
    this.turns += 1;
    this.inputTokens += response.usage?.inputTokens ?? 0;
    this.outputTokens += response.usage?.outputTokens ?? 0;
    this.cacheReadInputTokens += response.usage?.cacheReadInputTokens ?? 0;
    this.cacheWriteInputTokens += response.usage?.cacheWriteInputTokens ?? 0;
  }

  /** The model and token fields of `AnalyzerUsage`; empty when no turn completed. */
  fields(model: string): Partial<AnalyzerUsage> {
    if (this.turns === 0) return {};
    return {
      model,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      cacheReadInputTokens: this.cacheReadInputTokens,
      cacheWriteInputTokens: this.cacheWriteInputTokens,
    };
  }
}

type Turn =
  | { readonly kind: "answered"; readonly content: ContentBlock[]; readonly toolUse: ToolUseBlock }
  | { readonly kind: "failed"; readonly reason: string };

/** The forced tool's call in a response, or why there is none (a refusal, a cut-off answer). */
function readTurn(response: ConverseCommandOutput): Turn {
  const content = response.output?.message?.content ?? [];
  const toolUse = content.find((block) => block.toolUse?.name === ASSESSMENT_TOOL_NAME)?.toolUse;
  const stop = response.stopReason ?? "none";
  if (stop !== "tool_use" || toolUse === undefined) {
    const what =
      toolUse === undefined ? `did not call ${ASSESSMENT_TOOL_NAME}` : "did not finish its tool call";
    return { kind: "failed", reason: `The model ${what} (stopReason ${stop})` };
  }
  return { kind: "answered", content, toolUse };
}

/**
 * The Bedrock analyzer: `ConverseCommand` with the static system prompt followed by a
 * `cachePoint` (the tool schema and the prompt form the cached prefix), the window's context as the
 * user message (`renderContext`: data in a fenced, untrusted JSON block), one tool forced with
 * `toolChoice: {tool: {name}}` and temperature 0.
 *
 * - The tool input is validated with `parseAssessment`. On failure, ONE repair turn: the assistant's
 *   answer and a `toolResult` with `status: "error"` listing every problem are appended and the model
 *   is asked again. A second failure, a refusal (`stopReason` other than `tool_use`, or no tool call)
 *   or a non-retryable error hands the context to `fallback`.
 * - `ThrottlingException`, `ServiceUnavailableException`, `ModelNotReadyException`, HTTP 429 and 503
 *   are retried with exponential backoff and equal jitter (`retries` per call), then fall back.
 * - `usage` sums input, output and cache tokens over the turns; `latencyMs` covers the whole
 *   analysis (retries and fallback included). A fallback's result keeps its own `kind` and gains
 *   `fallbackReason`, plus the model and the tokens the failed Bedrock turns spent.
 * - Nothing is logged but error names, attempts and reasons: no prompt, answer or credential.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function createBedrockAnalyst(options: BedrockAnalystOptions): Analyst {
  const {
    client,
    modelId,
    fallback,
    maxTokens = 8192,
    retries = 3,
    baseDelayMs = 500,
    maxDelayMs = 10_000,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    now = Date.now,
    random = Math.random,
    logger,
  } = options;
  const tool = toolSpec();

  function request(messages: Message[]): ConverseCommandInput {
    return {
      modelId,
      system: [{ text: SYSTEM_PROMPT }, { cachePoint: { type: "default" } }],
      messages,
      inferenceConfig: { maxTokens, temperature: 0 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: tool.name,
              description: tool.description,
              inputSchema: { json: tool.inputSchema.json as NonNullable<ToolUseBlock["input"]> },
            },
          },
        ],
        toolChoice: { tool: { name: tool.name } },
      },
    };
  }

  /** One Converse call with retries; a response, or why there is none. */
  async function converse(
    messages: Message[],
    tally: Tally,
  ): Promise<{ ok: true; response: ConverseCommandOutput } | { ok: false; reason: string }> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await client.send(new ConverseCommand(request(messages)));
        tally.add(response);
        return { ok: true, response };
      } catch (error) {
        if (!isRetryable(error))
          return { ok: false, reason: `Bedrock Converse failed with ${describe(error)}` };
        if (attempt >= retries) {
          return {
            ok: false,
            reason: `Bedrock Converse still failed after ${attempt + 1} attempts, the last with ${describe(error)}`,
          };
        }
        const delayMs = backoffDelay(attempt, { baseDelayMs, maxDelayMs, random });
        logger?.log("warn", "bedrock converse retry", {
          model: modelId,
          attempt: attempt + 1,
          delayMs,
          error: errorName(error),
        });
        await sleep(delayMs);
      }
    }
  }

  return {
    async analyze(context: AnalysisContext): Promise<AnalystResult> {
      const started = now();
      const tally = new Tally();

      const succeed = (recommendations: AnalystResult["recommendations"]): AnalystResult => ({
        recommendations,
        usage: {
          kind: "bedrock",
          model: modelId,
          inputTokens: tally.inputTokens,
          outputTokens: tally.outputTokens,
          cacheReadInputTokens: tally.cacheReadInputTokens,
          cacheWriteInputTokens: tally.cacheWriteInputTokens,
          latencyMs: now() - started,
        },
      });

      const fallBack = async (why: string): Promise<AnalystResult> => {
        const result = await fallback.analyze(context);
        const fallbackReason = `${why}; the ${result.usage.kind} analyzer answered instead.`;
        logger?.log("warn", "bedrock analyst fell back", { model: modelId, reason: fallbackReason });
        return {
          recommendations: result.recommendations,
          usage: { ...result.usage, ...tally.fields(modelId), latencyMs: now() - started, fallbackReason },
        };
      };

      if (context.changes.length === 0) return succeed([]);

      const messages: Message[] = [{ role: "user", content: [{ text: renderContext(context) }] }];
      const first = await converse(messages, tally);
      if (!first.ok) return fallBack(first.reason);
      const answer = readTurn(first.response);
      if (answer.kind === "failed") return fallBack(answer.reason);
      const parsed = parseAssessment(answer.toolUse.input, context);
      if (parsed.ok) return succeed(parsed.recommendations);

      // One repair turn: show the model its answer's problems and ask for the whole assessment again.
      messages.push(
        { role: "assistant", content: answer.content },
        {
          role: "user",
          content: [
            {
              toolResult: {
                toolUseId: answer.toolUse.toolUseId,
                status: "error",
                content: [
                  {
                    text:
                      `The assessment was rejected: ${parsed.issues.length} problem(s).\n` +
                      listIssues(parsed.issues),
                  },
                ],
              },
            },
            {
              text:
                `Call ${ASSESSMENT_TOOL_NAME} again with the complete, corrected assessment: exactly one ` +
                `recommendation for each of the ${context.changes.length} \`id\`s in \`changes\`, ` +
                "every field within its limits.",
            },
          ],
        },
      );
      const second = await converse(messages, tally);
      if (!second.ok) return fallBack(`${second.reason} (during the repair turn)`);
      const repaired = readTurn(second.response);
      if (repaired.kind === "failed") return fallBack(`${repaired.reason} in the repair turn`);
      const reparsed = parseAssessment(repaired.toolUse.input, context);
      if (reparsed.ok) return succeed(reparsed.recommendations);
      const shown = reparsed.issues.slice(0, 3).join("; ");
      const more = reparsed.issues.length > 3 ? `; and ${reparsed.issues.length - 3} more` : "";
      return fallBack(
        `The model's assessment failed validation twice, after one repair turn (${reparsed.issues.length} ` +
          `problem(s): ${shown}${more})`,
      );
    },
  };
}

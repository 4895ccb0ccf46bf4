import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import type { Analyst } from "../../core/analysis/types.ts";
import { createBedrockAnalyst } from "../adapters/bedrock-analyst.ts";
import { systemClock } from "../runtime.ts";

/** The default model: a cross-region inference profile id (aws-facts §5.4). */
export const DEFAULT_BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/**
 * Claude on Bedrock, configured from the environment: `PHANTOM_BEDROCK_MODEL` (an inference-profile id;
 * default {@link DEFAULT_BEDROCK_MODEL}) and the usual AWS variables for region and credentials
 * (`AWS_REGION`, `AWS_PROFILE`, ...; `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` for a local endpoint). The rules
 * analyzer answers whenever Bedrock cannot (no credentials, throttled, invalid output), and the
 * report says so.
 */
export function bedrockAnalystFromEnv(env: Record<string, string | undefined> = process.env): Analyst {
  const fallback = createRulesAnalyst(systemClock);
  return createBedrockAnalyst({
    client: new BedrockRuntimeClient({ maxAttempts: 1, ...(env.AWS_REGION ? {} : { region: "us-east-1" }) }),
    modelId: env.PHANTOM_BEDROCK_MODEL ?? DEFAULT_BEDROCK_MODEL,
    fallback,
  });
}

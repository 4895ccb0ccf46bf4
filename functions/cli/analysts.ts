import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { defaultBedrockModel } from "../../core/analysis/model.ts";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import type { Analyst } from "../../core/analysis/types.ts";
import { createBedrockAnalyst } from "../adapters/bedrock-analyst.ts";
import { systemClock } from "../runtime.ts";

/**
 * Claude on Bedrock, configured from the environment: `PHANTOM_BEDROCK_MODEL` (an inference-profile id;
 * default: Claude Sonnet 4.5 through the profile of `AWS_REGION`'s geography) and the usual AWS variables for region and credentials
 * (`AWS_REGION`, `AWS_PROFILE`, ...; `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` for a local endpoint). The rules
 * analyzer answers whenever Bedrock cannot (no credentials, throttled, invalid output), and the
 * report says so.
 */
export function bedrockAnalystFromEnv(env: Record<string, string | undefined> = process.env): Analyst {
  const fallback = createRulesAnalyst(systemClock);
  return createBedrockAnalyst({
    client: new BedrockRuntimeClient({ maxAttempts: 1, ...(env.AWS_REGION ? {} : { region: "us-east-1" }) }),
    modelId: env.PHANTOM_BEDROCK_MODEL ?? defaultBedrockModel(env.AWS_REGION ?? "us-east-1"),
    fallback,
  });
}

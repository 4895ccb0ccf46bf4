/**
 * The model Phantom's prompt is written and measured for, and the inference profile that serves it
 * from a region: one source for the runtime's default, the CLI's and the IAM grant.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 */

/** Claude Sonnet 4.5 (Claude 4 models are invoked through cross-region inference profiles). */
export const BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0";

/** The profile geographies the default picks from. */
export const BEDROCK_GEOGRAPHIES = ["us", "eu", "apac", "global"] as const;

/** The profile for a home region: `us.`, `eu.` or `apac.` by the region's geography, `global.` elsewhere. */
export function defaultBedrockModel(region: string | undefined): string {
  const geography: (typeof BEDROCK_GEOGRAPHIES)[number] = region?.startsWith("us-")
    ? "us"
    : region?.startsWith("eu-")
      ? "eu"
      : region?.startsWith("ap-")
        ? "apac"
        : "global";
  return `${geography}.${BEDROCK_MODEL}`;
}

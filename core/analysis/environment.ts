import type { Environment } from "./types.ts";

const ALIASES: Readonly<Record<string, Environment>> = {
  prod: "prod",
  production: "prod",
  prd: "prod",
  live: "prod",
  staging: "staging",
  stage: "staging",
  stg: "staging",
  preprod: "staging",
  "pre-prod": "staging",
  uat: "staging",
  dev: "dev",
  development: "dev",
  test: "dev",
  testing: "dev",
  qa: "dev",
  sandbox: "dev",
};

/** `Production`, `prd`, `live` ► `prod`; unknown words ► `unknown`. */
export function normalizeEnvironment(value: string | undefined): Environment {
  if (value === undefined) return "unknown";
  return ALIASES[value.trim().toLowerCase()] ?? "unknown";
}

/**
 * The stack's environment (DESIGN §3): the configured one, else the stack tag `env` or
 * `environment` (any case), else `unknown`.
 */
export function environmentOf(
  configured: string | undefined,
  stackTags: Readonly<Record<string, string>>,
): Environment {
  if (configured !== undefined && configured.trim() !== "") return normalizeEnvironment(configured);
  for (const [key, value] of Object.entries(stackTags)) {
    const k = key.toLowerCase();
    if (k === "env" || k === "environment") return normalizeEnvironment(value);
  }
  return "unknown";
}

/**
 * The secrets the SST app links to the functions (`sst.Secret`), read through SST's `Resource` in the
 * composition root. Every one is optional: a deploy sets each to {@link SECRET_PLACEHOLDER} until
 * `sst secret set` gives it a value, and an unset secret turns its port off instead of failing.
 */

export const SECRET_NAMES = [
  /** A fine-grained token (contents, pull requests and issues: read and write). */
  "GithubToken",
  /** A GitHub App (what organisations use): id, private key (PEM) and installation id. */
  "GithubAppId",
  "GithubAppPrivateKey",
  "GithubAppInstallationId",
  /** Datadog API key (metrics and events intake) and application key (monitor and metric reads). */
  "DatadogApiKey",
  "DatadogAppKey",
] as const;

export type SecretName = (typeof SECRET_NAMES)[number];

/** The value every secret has until it is set (`new sst.Secret(name, SECRET_PLACEHOLDER)`). */
export const SECRET_PLACEHOLDER = "unset";

export type Secrets = Readonly<Partial<Record<SecretName, string>>>;

/**
 * The secrets that are set, from SST's `Resource` (or any object of `{value}` entries): a secret
 * that is not linked, empty, or still the placeholder is absent. Never throws: `Resource` throws
 * for names that are not linked, so each is looked up with `in` first.
 */
export function readSecrets(resource: object): Secrets {
  const secrets: Partial<Record<SecretName, string>> = {};
  for (const name of SECRET_NAMES) {
    if (!(name in resource)) continue;
    const value = (resource as Record<string, { value?: unknown } | undefined>)[name]?.value;
    if (typeof value === "string" && value.trim() !== "" && value !== SECRET_PLACEHOLDER) {
      secrets[name] = value;
    }
  }
  return secrets;
}

/** How Phantom authenticates to GitHub: a token, an App installation, or not at all. */
export type GitHubAuth =
  | { readonly kind: "token"; readonly token: string }
  | {
      readonly kind: "app";
      readonly appId: string;
      readonly privateKey: string;
      readonly installationId: number;
    }
  | { readonly kind: "none"; readonly reason: string };

/**
 * The GitHub credentials in `secrets`: an App when all three App secrets are set (an App's
 * installation token is short-lived and scoped to the repositories it is installed on), else the
 * token; a partial App configuration is reported, never half-used.
 */
export function gitHubAuth(secrets: Secrets): GitHubAuth {
  const app = [secrets.GithubAppId, secrets.GithubAppPrivateKey, secrets.GithubAppInstallationId];
  const set = app.filter((v) => v !== undefined).length;
  if (set === 3) {
    const installationId = Number(secrets.GithubAppInstallationId);
    if (!Number.isSafeInteger(installationId) || installationId <= 0) {
      return { kind: "none", reason: "GithubAppInstallationId is not a number" };
    }
    return {
      kind: "app",
      appId: secrets.GithubAppId ?? "",
      // Secrets set from a shell often carry the PEM's newlines as `\n`.
      privateKey: (secrets.GithubAppPrivateKey ?? "").replace(/\\n/g, "\n"),
      installationId,
    };
  }
  if (secrets.GithubToken) return { kind: "token", token: secrets.GithubToken };
  if (set > 0) {
    return {
      kind: "none",
      reason: "GithubAppId, GithubAppPrivateKey and GithubAppInstallationId must all be set",
    };
  }
  return { kind: "none", reason: "neither GithubToken nor the GithubApp* secrets are set" };
}

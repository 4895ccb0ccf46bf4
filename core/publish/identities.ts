import picomatch from "picomatch";
import { z } from "zod";
import { codeSpan } from "../report/inert.ts";

/**
 * The identity map (`identities:` in `phantom.yaml`): principal pattern ► GitHub handle, e.g.
 * `"sam@example.com": sam-gh`, `"arn:aws:sts::*:assumed-role/AWSReservedSSO_*\/alex@example.com": alex-gh`.
 * A pattern is an IAM Identity Center email or session name, an IAM user name, or a principal ARN
 * glob. Mapped actors are @-mentioned; unmapped ones appear in code format, never as a guessed @.
 */

/** Who made a change, as the window report names them. */
export interface MentionActor {
  /** IAM user name, assumed-role session name (an email for IAM Identity Center), `root`, ... */
  readonly name: string;
  readonly arn?: string;
}

/** GitHub logins: alphanumerics and single inner hyphens, at most 39 characters. */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** True for a valid GitHub login (an optional leading `@` is allowed). */
export function isGitHubHandle(handle: string): boolean {
  return GITHUB_LOGIN.test(handle.replace(/^@/, ""));
}

/**
 * `identities:` in `phantom.yaml` (for `core/config/schema.ts`): principal pattern ► GitHub handle.
 * Every handle must be a GitHub login, so a typo fails the config instead of mentioning a stranger.
 * @see https://docs.github.com/account-and-profile/setting-up-and-managing-your-personal-account-on-github/managing-personal-account-settings/changing-your-github-username
 */
export const identitiesSchema = z.record(
  z.string().min(1, "a principal pattern must not be empty"),
  z.string().refine(isGitHubHandle, {
    message:
      "must be a GitHub login (letters, digits and single inner hyphens, at most 39; a leading @ is allowed)",
  }),
);

const GLOB = /[*?[\]{}]/;

/** IAM-style globs, as in ignore rules: `*` spans `/` and `:`, matching is case-insensitive. */
const matcherCache = new Map<string, (value: string) => boolean>();
function globMatcher(pattern: string): (value: string) => boolean {
  let matcher = matcherCache.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { bash: true, dot: true, nocase: true });
    matcherCache.set(pattern, matcher);
  }
  return matcher;
}

/**
 * The GitHub handle (without `@`) an actor maps to, or `undefined`.
 *
 * Precedence, so the most specific entry wins whatever the map's order: (1) a pattern equal to the
 * actor's name, ignoring case; (2) a pattern equal to the actor's ARN, ignoring case; (3) the first
 * glob, in map order, that matches the name or the ARN. A handle that is not a valid GitHub login is
 * never returned (config validation reports it), so a typo can never mention a stranger.
 */
export function resolveHandle(
  actor: MentionActor,
  identities: Readonly<Record<string, string>>,
): string | undefined {
  const entries = Object.entries(identities);
  const valid = (handle: string) => (isGitHubHandle(handle) ? handle.replace(/^@/, "") : undefined);
  const name = actor.name.toLowerCase();
  const arn = actor.arn?.toLowerCase();
  for (const [pattern, handle] of entries) {
    if (pattern.toLowerCase() === name) return valid(handle);
  }
  if (arn !== undefined) {
    for (const [pattern, handle] of entries) {
      if (pattern.toLowerCase() === arn) return valid(handle);
    }
  }
  for (const [pattern, handle] of entries) {
    if (!GLOB.test(pattern)) continue;
    const match = globMatcher(pattern);
    if (match(actor.name) || (actor.arn !== undefined && match(actor.arn))) return valid(handle);
  }
  return undefined;
}

/**
 * How a PR names an actor: `@sam-gh` when mapped, else the principal name as inert data in a code
 * span (`` `sam@example.com` ``, controls escaped: core/report/inert.ts), which GitHub never turns
 * into a mention or a notification, and a name from a capture can never break out of.
 */
export function mention(actor: MentionActor, identities: Readonly<Record<string, string>>): string {
  const handle = resolveHandle(actor, identities);
  return handle ? `@${handle}` : codeSpan(actor.name);
}

/** The distinct handles of the mapped actors (for review requests), in first-seen order. */
export function mappedHandles(
  actors: readonly MentionActor[],
  identities: Readonly<Record<string, string>>,
): string[] {
  const seen = new Map<string, string>();
  for (const actor of actors) {
    const handle = resolveHandle(actor, identities);
    if (handle && !seen.has(handle.toLowerCase())) seen.set(handle.toLowerCase(), handle);
  }
  return [...seen.values()];
}

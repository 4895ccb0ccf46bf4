import picomatch from "picomatch";
import type { ResourceRef } from "../catalog/types.ts";
import type { Actor } from "../change/actor.ts";
import type { IgnoreRule } from "./schema.ts";

/** What an ignore rule is matched against. */
export interface IgnoreSubject {
  readonly actor: Actor;
  /** `userIdentity.sessionContext.sessionIssuer.arn`, the role behind an assumed-role session. */
  readonly issuerArn?: string;
  readonly service: string;
  readonly eventName: string;
  /** The event name without an API version suffix. */
  readonly baseEventName: string;
  readonly region?: string;
  readonly resources: readonly ResourceRef[];
}

export interface IgnoreMatch {
  readonly index: number;
  readonly rule: IgnoreRule;
  /** A sentence for the verdict: which rule and what it matched. */
  readonly description: string;
}

type Matcher = (value: string) => boolean;

/** IAM-style globs: `*` spans `/` and `:`, matching is case-insensitive. */
function globMatcher(pattern: string): Matcher {
  return picomatch(pattern, { bash: true, dot: true, nocase: true });
}

interface CompiledRule {
  readonly rule: IgnoreRule;
  readonly principal?: Matcher;
  readonly event?: Matcher;
  readonly resource?: Matcher;
  readonly region?: Matcher;
}

export interface IgnoreRules {
  /** The first rule that matches, or `undefined`. */
  match(subject: IgnoreSubject): IgnoreMatch | undefined;
}

/** Compiles validated rules once; matching is then cheap enough for the intake hot path. */
export function compileIgnoreRules(rules: readonly IgnoreRule[]): IgnoreRules {
  const compiled: CompiledRule[] = rules.map((rule) => ({
    rule,
    ...(rule.principal ? { principal: globMatcher(rule.principal) } : {}),
    ...(rule.event ? { event: globMatcher(rule.event) } : {}),
    ...(rule.resource ? { resource: globMatcher(rule.resource) } : {}),
    ...(rule.region ? { region: globMatcher(rule.region) } : {}),
  }));
  return {
    match(subject) {
      for (const [index, c] of compiled.entries()) {
        if (c.principal) {
          const candidates = [subject.actor.arn, subject.issuerArn, subject.actor.name];
          if (!candidates.some((v) => v !== undefined && c.principal?.(v))) continue;
        }
        if (c.event) {
          const names = [
            `${subject.service}:${subject.eventName}`,
            `${subject.service}:${subject.baseEventName}`,
          ];
          if (!names.some((n) => c.event?.(n))) continue;
        }
        if (c.region && !(subject.region !== undefined && c.region(subject.region))) continue;
        if (c.resource && !subject.resources.some((r) => c.resource?.(r.id))) continue;
        const fields = (["principal", "event", "resource", "region"] as const)
          .filter((f) => c.rule[f] !== undefined)
          .map((f) => `${f} ${c.rule[f]}`)
          .join(", ");
        const why = c.rule.reason ? ` (${c.rule.reason})` : "";
        return { index, rule: c.rule, description: `ignore rule ${index + 1}${why} matched ${fields}` };
      }
      return undefined;
    },
  };
}

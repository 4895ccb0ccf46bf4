import { z } from "zod";

/**
 * Where a stack lives, and which stack it is. A stack name is unique only inside one account and
 * region (`api-prod` exists in every account of an organisation), so everything keyed by a stack
 * (windows, locks, settle messages, pull request branches, metric tags, replay's output) is keyed by
 * the whole triple, through {@link stackKey} and nothing else.
 */

/** An account and a region: where AWS-backed ports answer (one set of clients per place). */
export interface Place {
  /** The 12-digit AWS account id. */
  readonly account: string;
  /** The region code, `eu-west-1`. */
  readonly region: string;
}

/**
 * One stack: `(account, region, stack name)`. The name is the field `stack` so that a window, a
 * settle message or a report, which carry these three fields, are stack references themselves.
 */
export interface StackRef extends Place {
  readonly stack: string;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
/** CloudFormation's stack name rule: a letter, then letters, digits and hyphens, at most 128. */
const STACK = /^[A-Za-z][-A-Za-z0-9]{0,127}$/;

export const placeSchema = z.object({
  account: z.string().regex(ACCOUNT, "an AWS account id is 12 digits"),
  region: z.string().regex(REGION, "a region code looks like eu-west-1"),
});

export const stackRefSchema = placeSchema.extend({
  stack: z.string().regex(STACK, "a stack name is a letter, then letters, digits and hyphens"),
});

/** Whether `value` is a 12-digit account id. */
export function isAccountId(value: string): boolean {
  return ACCOUNT.test(value);
}

/** Whether `value` looks like a region code (`us-east-1`, `us-gov-west-1`, `ap-southeast-4`). */
export function isRegion(value: string): boolean {
  return REGION.test(value);
}

/** The stack reference of anything carrying the three fields (a window, a message, a report). */
export function stackRef(of: StackRef): StackRef {
  return { account: of.account, region: of.region, stack: of.stack };
}

/** The place of a stack (or of anything carrying account and region). */
export function placeOf(of: Place): Place {
  return { account: of.account, region: of.region };
}

/**
 * The one canonical key of a stack: `<account>/<region>/<stack>`. None of the three parts can hold a
 * `/`, so the key is unambiguous and {@link parseStackKey} reverses it.
 */
export function stackKey(ref: StackRef): string {
  return `${ref.account}/${ref.region}/${ref.stack}`;
}

/** The canonical key of a place: `<account>/<region>`. */
export function placeKey(place: Place): string {
  return `${place.account}/${place.region}`;
}

/** The stack a {@link stackKey} names, or `undefined` when `key` is not one. */
export function parseStackKey(key: string): StackRef | undefined {
  const parts = key.split("/");
  if (parts.length !== 3) return undefined;
  const [account, region, stack] = parts as [string, string, string];
  const parsed = stackRefSchema.safeParse({ account, region, stack });
  return parsed.success ? parsed.data : undefined;
}

/** Whether two references name the same stack. */
export function sameStack(a: StackRef, b: StackRef): boolean {
  return a.stack === b.stack && samePlace(a, b);
}

/** Whether two places are the same account and region. */
export function samePlace(a: Place, b: Place): boolean {
  return a.account === b.account && a.region === b.region;
}

/** A stack for people: `api-prod (123456789012, eu-west-1)`. */
export function describeStack(ref: StackRef): string {
  return `${ref.stack} (${ref.account}, ${ref.region})`;
}

/** Orders stacks by account, region, then name (reports and goldens list places in this order). */
export function compareStacks(a: StackRef, b: StackRef): number {
  const ka = [a.account, a.region, a.stack];
  const kb = [b.account, b.region, b.stack];
  for (let i = 0; i < 3; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Regions whose CloudTrail records are global services' (IAM, CloudFront, Route 53, WAF classic and
 * global WAFv2, Organizations): they log in `us-east-1` whatever region the stack that owns the
 * resource was deployed to, so their resources are looked up across every region of the account.
 */
const GLOBAL_SOURCES = new Set([
  "iam.amazonaws.com",
  "cloudfront.amazonaws.com",
  "route53.amazonaws.com",
  "waf.amazonaws.com",
  "organizations.amazonaws.com",
  "sts.amazonaws.com",
  "globalaccelerator.amazonaws.com",
  "shield.amazonaws.com",
]);

/**
 * Whether a record of `eventSource` in `region` belongs to a global service, so its resource may belong
 * to a stack in any region of the account. WAFv2 is global only for the CloudFront scope, which logs in
 * us-east-1 (a regional web ACL logs in its own region and is looked up there first).
 */
export function isGlobalEvent(eventSource: string, region: string | undefined): boolean {
  if (GLOBAL_SOURCES.has(eventSource)) return true;
  return eventSource === "wafv2.amazonaws.com" && region === "us-east-1";
}

import { isRecord, isUnknown, Unknown } from "./declared.ts";
import type { DifferenceType } from "./types.ts";

/**
 * Compares what a template declares with the live state Cloud Control reads, in drift detection's
 * shape (JSON-pointer paths, ADD / REMOVE / NOT_EQUAL). AWS fills in defaults and spells values its
 * own way, so values are canonicalised before they are compared: numbers against numeric strings,
 * set-like lists (security group rules, policy statements, ids) as sets, tags by key without the
 * `aws:` tags CloudFormation adds, policy documents in IAM's normal form. Reported values are the
 * template's and the live state's own, never the canonical forms.
 */

export interface Difference {
  readonly path: string;
  readonly type: DifferenceType;
  readonly expected: unknown;
  readonly actual: unknown;
  /** For set items: the index of the declared item (REMOVE, NOT_EQUAL), so its declaring resource is known. */
  readonly declaredIndex?: number;
}

/**
 * Whether the window's requests set `path` (or something under it, or a list or map it is in): an
 * item or key the template does not declare is reported only then, since AWS fills in defaults.
 */
export interface Requested {
  (path: string): boolean;
  /**
   * For a keyed list (`/Tags`), the item keys the requests put or removed; `undefined` when the
   * requests replaced the whole list. Another live item (a tag some other tool added) is not theirs.
   */
  readonly keys?: (listPath: string) => ReadonlySet<string> | undefined;
}

const ALWAYS: Requested = () => true;

/** JSON-pointer escaping of one segment. */
export function segment(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Lists whose order means nothing: compared as sets, each item in its canonical form. */
const SET_LIKE = new Set([
  "SecurityGroupIngress",
  "SecurityGroupEgress",
  "ManagedPolicyArns",
  "SecurityGroupIds",
  "SecurityGroups",
  "SubnetIds",
  "Subnets",
  "VPCSecurityGroups",
  "VpcSecurityGroupIds",
  "Statement",
  "Roles",
  "Users",
  "Groups",
  "Queues",
  "Topics",
  "Tags",
  "Policies",
  "Aliases",
  "AssociatedRoles",
  "EnableCloudwatchLogsExports",
]);

/** Keyed lists: two items with the same key are the same item, compared field by field. */
const KEYED: Readonly<Record<string, string>> = {
  Tags: "Key",
  Policies: "PolicyName",
  AssociatedRoles: "RoleArn",
};

const PROTOCOLS: Readonly<Record<string, string>> = {
  "-1": "-1",
  all: "-1",
  "6": "tcp",
  "17": "udp",
  "1": "icmp",
  "58": "icmpv6",
};

/** `10.0.0.7/24` ► `10.0.0.0/24`: EC2 stores a rule's network, whatever host bits were sent. */
function canonicalCidr(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim().toLowerCase();
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  if (!m) return text;
  const bits = Number(m[5]);
  const address = m.slice(1, 5).reduce((acc, part) => acc * 256 + Number(part), 0);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  const network = Math.floor(address / 2 ** (32 - bits)) * 2 ** (32 - bits);
  const masked = bits >= 32 ? address : mask === 0 ? 0 : network;
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256);
  return `${octets.join(".")}/${bits}`;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/**
 * A security group rule's identity: protocol, ports and peer. `-1` and `all` are one protocol and
 * carry no ports (Cloud Control may report -1 for them); protocol numbers read as names; the owner
 * of a peer group adds nothing (group ids are unique); the description is a field, not identity.
 */
function ruleKey(rule: Record<string, unknown>): Record<string, unknown> {
  const protocolRaw = String(rule.IpProtocol ?? "-1")
    .trim()
    .toLowerCase();
  const protocol = PROTOCOLS[protocolRaw] ?? protocolRaw;
  const key: Record<string, unknown> = { IpProtocol: protocol };
  if (protocol !== "-1") {
    // ICMP without ports is every type and code: EC2 reports -1 for both.
    const icmp = protocol === "icmp" || protocol === "icmpv6";
    const from = asNumber(rule.FromPort) ?? (icmp && rule.FromPort === undefined ? -1 : undefined);
    const to = asNumber(rule.ToPort) ?? (icmp && rule.ToPort === undefined ? -1 : undefined);
    key.FromPort = from ?? rule.FromPort;
    key.ToPort = to ?? rule.ToPort ?? from;
  }
  for (const field of [
    "CidrIp",
    "CidrIpv6",
    "SourceSecurityGroupId",
    "SourcePrefixListId",
    "DestinationSecurityGroupId",
    "DestinationPrefixListId",
  ]) {
    const v = rule[field];
    if (v !== undefined && v !== null && v !== "")
      key[field] = field.startsWith("Cidr") ? canonicalCidr(v) : v;
  }
  // A name reference (default VPC, or the template's choice) cannot be matched to the id AWS reports.
  if (rule.SourceSecurityGroupName !== undefined && rule.SourceSecurityGroupId === undefined) {
    key.SourceSecurityGroupId = new Unknown("a security group named, not identified");
  }
  return key;
}

function sortedStrings(value: unknown): unknown {
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => typeof v !== "string")) return list.map(canonicalPolicyValue);
  return [...new Set(list as string[])].sort();
}

/** `"*"` and `{"AWS": "*"}` are the same principal; an account id is its root ARN. */
function canonicalPrincipal(value: unknown): unknown {
  if (value === "*") return { AWS: ["*"] };
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [kind, v] of Object.entries(value)) {
    const list = (Array.isArray(v) ? v : [v]).map((p) =>
      kind === "AWS" && typeof p === "string" && /^\d{12}$/.test(p) ? `arn:aws:iam::${p}:root` : p,
    );
    out[kind] = sortedStrings(list);
  }
  return out;
}

function canonicalStatement(statement: unknown): unknown {
  if (!isRecord(statement)) return statement;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(statement)) {
    if (key === "Sid" && (value === "" || value === null)) continue;
    if (["Action", "NotAction", "Resource", "NotResource"].includes(key)) out[key] = sortedStrings(value);
    else if (key === "Principal" || key === "NotPrincipal") out[key] = canonicalPrincipal(value);
    else if (key === "Condition" && isRecord(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([op, block]) => [
          op,
          isRecord(block)
            ? Object.fromEntries(Object.entries(block).map(([k, v]) => [k, sortedStrings(scalarText(v))]))
            : block,
        ]),
      );
    } else out[key] = canonicalPolicyValue(value);
  }
  return out;
}

function scalarText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scalarText);
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
}

function canonicalPolicyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalPolicyValue);
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonicalPolicyValue(v)]));
  }
  return value;
}

/** A policy document: an object with a `Statement`. */
function isPolicy(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && "Statement" in value;
}

/** JSON text where the other side is structured (Cloud Control returns some documents as strings). */
function parsedLike(value: unknown, other: unknown): unknown {
  if (typeof value !== "string" || (typeof other !== "object" && !Array.isArray(other)) || other === null) {
    return value;
  }
  const text = value.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return JSON.parse(decodeURIComponent(text)) as unknown;
    } catch {
      return value;
    }
  }
}

const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Scalars as CloudFormation compares them: `120` is `"120"`, `true` is `"true"`. */
function sameScalar(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a === "object" || typeof b === "object") return false;
  const [x, y] = [String(a).trim(), String(b).trim()];
  if (typeof a === "number" || typeof b === "number")
    return NUMERIC.test(x) && NUMERIC.test(y) && Number(x) === Number(y);
  if (typeof a === "boolean" || typeof b === "boolean") return x.toLowerCase() === y.toLowerCase();
  return x === y;
}

/** Equality with unknowns matching anything (the declared side may hold them). */
export function matches(declared: unknown, live: unknown, depth = 0): boolean {
  if (isUnknown(declared)) return true;
  if (depth > 64) return false;
  const other = parsedLike(live, declared);
  const self = parsedLike(declared, live);
  if (Array.isArray(self) || Array.isArray(other)) {
    return (
      Array.isArray(self) &&
      Array.isArray(other) &&
      self.length === other.length &&
      self.every((v, i) => matches(v, other[i], depth + 1))
    );
  }
  if (isRecord(self) || isRecord(other)) {
    if (!isRecord(self) || !isRecord(other)) return false;
    const keys = new Set([...Object.keys(self), ...Object.keys(other)]);
    return [...keys].every((k) => matches(self[k], other[k], depth + 1));
  }
  return sameScalar(self, other);
}

/** The item as compared in a set-like list named `name`. */
function canonicalItem(name: string, item: unknown): unknown {
  if (name === "SecurityGroupIngress" || name === "SecurityGroupEgress") {
    return isRecord(item) ? ruleKey(item) : item;
  }
  if (name === "Statement") return canonicalStatement(item);
  if (isPolicy(item)) return canonicalPolicy(item);
  return item;
}

function canonicalPolicy(policy: Record<string, unknown>): Record<string, unknown> {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return { ...policy, Statement: statements.map(canonicalStatement) };
}

/** Tags CloudFormation and AWS services add themselves; a template never declares them. */
function isAwsTag(item: unknown): boolean {
  return isRecord(item) && typeof item.Key === "string" && item.Key.startsWith("aws:");
}

interface Context {
  readonly requested: Requested;
}

/**
 * The differences between a declared value and the live one at `path`. An item or key only the
 * live side has, or only the template has, is reported where `requested` says the window set it;
 * values both sides have are compared whenever the caller compares the property.
 */
export function compareValues(
  path: string,
  declared: unknown,
  live: unknown,
  requested: Requested,
): Difference[] {
  return diff(path, declared, live, { requested }, 0);
}

function diff(path: string, declared: unknown, live: unknown, ctx: Context, depth: number): Difference[] {
  if (isUnknown(declared) || depth > 64) return [];
  if (declared === undefined || declared === null) {
    if (live === undefined || live === null) return [];
    return ctx.requested(path) ? [{ path, type: "ADD", expected: null, actual: live }] : [];
  }
  if (live === undefined || live === null) {
    return ctx.requested(path) ? [{ path, type: "REMOVE", expected: declared, actual: null }] : [];
  }
  const d = parsedLike(declared, live);
  const l = parsedLike(live, declared);
  const name = lastName(path);
  if (Array.isArray(d) && Array.isArray(l)) {
    return SET_LIKE.has(name) ? setDiff(path, name, d, l, ctx, depth) : listDiff(path, d, l, ctx, depth);
  }
  if (isPolicy(d) && isPolicy(l)) {
    if (matches(canonicalPolicy(d), canonicalPolicy(l))) return [];
    const ds = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
    const ls = Array.isArray(l.Statement) ? l.Statement : [l.Statement];
    const out = setDiff(`${path}/Statement`, "Statement", ds, ls, { requested: ALWAYS }, depth);
    if (!sameScalar(d.Version, l.Version) && d.Version !== undefined) {
      out.push({
        path: `${path}/Version`,
        type: "NOT_EQUAL",
        expected: d.Version,
        actual: l.Version ?? null,
      });
    }
    return out;
  }
  if (isRecord(d) && isRecord(l)) {
    const out: Difference[] = [];
    for (const key of new Set([...Object.keys(d), ...Object.keys(l)])) {
      // A key only one side has, holding false, 0, "" or nothing: a default AWS fills in (or omits).
      if ((!(key in d) && isEmptyDefault(l[key])) || (!(key in l) && isEmptyDefault(d[key]))) continue;
      out.push(...diff(`${path}/${segment(key)}`, d[key], l[key], ctx, depth + 1));
    }
    return out;
  }
  if (Array.isArray(d) || Array.isArray(l) || isRecord(d) || isRecord(l)) {
    return [{ path, type: "NOT_EQUAL", expected: declared, actual: live }];
  }
  return sameScalar(d, l) ? [] : [{ path, type: "NOT_EQUAL", expected: declared, actual: live }];
}

function isEmptyDefault(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return isRecord(value) && Object.keys(value).length === 0;
}

function lastName(path: string): string {
  const parts = path.split("/");
  return (parts.at(-1) ?? "").replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Ordered lists: item by item; extra items on either side where the window set the list. */
function listDiff(path: string, d: unknown[], l: unknown[], ctx: Context, depth: number): Difference[] {
  if (d.some(isUnknown)) return [];
  const out: Difference[] = [];
  const n = Math.max(d.length, l.length);
  for (let i = 0; i < n; i++) {
    const p = `${path}/${i}`;
    if (i >= d.length) {
      if (ctx.requested(p)) out.push({ path: p, type: "ADD", expected: null, actual: l[i] });
    } else if (i >= l.length) {
      if (ctx.requested(p)) out.push({ path: p, type: "REMOVE", expected: d[i], actual: null });
    } else out.push(...diff(p, d[i], l[i], ctx, depth + 1));
  }
  return out;
}

/**
 * Set-like lists: each declared item is matched to a live item with the same canonical form (or the
 * same key, for keyed lists). Unmatched live items are ADD at their live index, unmatched declared
 * items REMOVE at their declared index; matched keyed items are compared field by field, and a
 * security group rule's description is compared once its rule matched.
 */
function setDiff(
  path: string,
  name: string,
  d: unknown[],
  l: unknown[],
  ctx: Context,
  depth: number,
): Difference[] {
  const live = l
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => !(name === "Tags" && isAwsTag(item)));
  const used = new Set<number>();
  const out: Difference[] = [];
  const keyField = KEYED[name];
  const take = (predicate: (item: unknown) => boolean) => {
    const found = live.find(({ item, index }) => !used.has(index) && predicate(item));
    if (found) used.add(found.index);
    return found;
  };
  const unmatched: { item: unknown; index: number }[] = [];
  // Exact (canonical) matches first, so a changed item is not paired with the wrong one; items with
  // unknown parts (a NoEcho parameter) last, so they stand for a live item no known item claims.
  const ordered = d
    .map((item, index) => ({ item, index, unknown: hasUnknownDeep(canonicalItem(name, item)) }))
    .sort((a, b) => Number(a.unknown) - Number(b.unknown) || a.index - b.index);
  ordered.forEach(({ item, index }) => {
    const canonical = canonicalItem(name, item);
    const found = take((candidate) => matches(canonical, canonicalItem(name, candidate)));
    if (found === undefined) unmatched.push({ item, index });
    else if (
      (name === "SecurityGroupIngress" || name === "SecurityGroupEgress") &&
      isRecord(item) &&
      isRecord(found.item)
    ) {
      const described = item.Description ?? "";
      const liveDescription = found.item.Description ?? "";
      if (!isUnknown(described) && !sameScalar(described, liveDescription)) {
        out.push({
          path: `${path}/${index}/Description`,
          type: "NOT_EQUAL",
          expected: item.Description ?? null,
          actual: found.item.Description ?? null,
          declaredIndex: index,
        });
      }
    }
  });
  unmatched.sort((a, b) => a.index - b.index);
  for (const { item, index } of unmatched) {
    const key = keyField && isRecord(item) ? item[keyField] : undefined;
    const sameKey =
      key !== undefined && !isUnknown(key)
        ? take((candidate) => isRecord(candidate) && sameScalar(candidate[keyField as string], key))
        : undefined;
    if (sameKey !== undefined) {
      out.push(
        ...diff(`${path}/${index}`, item, sameKey.item, { requested: ALWAYS }, depth + 1).map((x) => ({
          ...x,
          declaredIndex: index,
        })),
      );
      continue;
    }
    // An item with unknown parts may be any live item its known parts match: not reported.
    if (hasUnknownDeep(canonicalItem(name, item))) continue;
    if (!requestedItem(ctx, path, index, keyField, item)) continue;
    out.push({
      path: `${path}/${index}`,
      type: "REMOVE",
      expected: item,
      actual: null,
      declaredIndex: index,
    });
  }
  for (const { item, index } of live) {
    if (used.has(index)) continue;
    if (!requestedItem(ctx, path, index, keyField, item)) continue;
    out.push({ path: `${path}/${index}`, type: "ADD", expected: null, actual: item });
  }
  return out;
}

/** Whether the window's requests set this item of a set-like list (by key, for keyed lists). */
function requestedItem(
  ctx: Context,
  path: string,
  index: number,
  keyField: string | undefined,
  item: unknown,
): boolean {
  if (!ctx.requested(`${path}/${index}`)) return false;
  const keys = keyField ? ctx.requested.keys?.(path) : undefined;
  if (keys === undefined) return true;
  const key = isRecord(item) ? item[keyField as string] : undefined;
  return typeof key === "string" && keys.has(key);
}

function hasUnknownDeep(value: unknown, depth = 0): boolean {
  if (isUnknown(value)) return true;
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => hasUnknownDeep(v, depth + 1));
  if (isRecord(value)) return Object.values(value).some((v) => hasUnknownDeep(v, depth + 1));
  return false;
}

/** Whether two items of the set-like list `listName` are the same item (a rule whatever its description). */
export function sameItem(listName: string, a: unknown, b: unknown): boolean {
  return matches(canonicalItem(listName, a), canonicalItem(listName, b));
}

/**
 * Key-case normalisation for SIEM exports, which lowercase CloudTrail's keys
 * (`userIdentity.sessioncontext.sessionissuer`). Known keys are restored to CloudTrail's spelling;
 * unknown keys are kept as they are. `requestParameters` and friends are left alone: catalog lookups
 * into them are case-insensitive instead.
 */

interface Shape {
  readonly keys: readonly string[];
  readonly nested?: Readonly<Record<string, Shape>>;
}

const SESSION_ISSUER: Shape = { keys: ["type", "principalId", "arn", "accountId", "userName"] };
const SESSION_CONTEXT: Shape = {
  keys: ["sessionIssuer", "webIdFederationData", "attributes", "sourceIdentity", "ec2RoleDelivery"],
  nested: {
    sessionIssuer: SESSION_ISSUER,
    attributes: { keys: ["creationDate", "mfaAuthenticated"] },
  },
};
const USER_IDENTITY: Shape = {
  keys: [
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "invokedBy",
    "identityProvider",
    "sessionContext",
    "onBehalfOf",
    "credentialId",
  ],
  nested: { sessionContext: SESSION_CONTEXT, onBehalfOf: { keys: ["userId", "identityStoreArn"] } },
};

/** Top-level CloudTrail record fields (record contents reference, eventVersion 1.11). */
export const RECORD_SHAPE: Shape = {
  keys: [
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "managementEvent",
    "readOnly",
    "resources",
    "recipientAccountId",
    "serviceEventDetails",
    "sharedEventID",
    "vpcEndpointId",
    "eventCategory",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
  ],
  nested: { userIdentity: USER_IDENTITY },
};

const lookups = new WeakMap<Shape, Map<string, string>>();

function lookupFor(shape: Shape): Map<string, string> {
  let map = lookups.get(shape);
  if (map === undefined) {
    // Both spellings map to the canonical one, so the common case needs no toLowerCase().
    map = new Map(
      shape.keys.flatMap((k): [string, string][] => [
        [k, k],
        [k.toLowerCase(), k],
      ]),
    );
    lookups.set(shape, map);
  }
  return map;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Returns `value` with the known keys of `shape` in CloudTrail's spelling. Objects already in the
 * right case are returned as they are (no copy on the hot path). Never assigns through `__proto__`.
 */
export function canonicalKeys(value: unknown, shape: Shape = RECORD_SHAPE): unknown {
  if (!isPlainObject(value)) return value;
  const lookup = lookupFor(shape);
  // First pass without allocating: most records are already in CloudTrail's spelling.
  let changed: [string, unknown][] | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const inner = value[key];
    const canonical = lookup.get(key) ?? lookup.get(key.toLowerCase()) ?? key;
    // Own properties only: a `__proto__` or `constructor` key must never select a shape.
    const nestedShape =
      shape.nested !== undefined && Object.hasOwn(shape.nested, canonical)
        ? shape.nested[canonical]
        : undefined;
    const next = nestedShape === undefined ? inner : canonicalKeys(inner, nestedShape);
    if (changed === undefined && (canonical !== key || next !== inner)) {
      changed = keys
        .slice(0, i)
        .map((k): [string, unknown] => [lookup.get(k) ?? lookup.get(k.toLowerCase()) ?? k, value[k]]);
    }
    changed?.push([canonical, next]);
  }
  // Object.fromEntries defines own properties, so a `__proto__` key stays data.
  return changed === undefined ? value : Object.fromEntries(changed);
}

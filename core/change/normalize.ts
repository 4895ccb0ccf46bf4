/**
 * Record normalisation for exports that are not CloudTrail's own files:
 *
 * - **Key case.** SIEM exports and Athena's CloudTrail table lowercase CloudTrail's keys
 *   (`userIdentity.sessioncontext.sessionissuer`, `resources[].arn`). Known keys are restored to
 *   CloudTrail's spelling; unknown keys are kept as they are. The keys inside `requestParameters` and
 *   friends are the service's own and are left alone: catalog lookups into them are case-insensitive.
 * - **JSON strings.** Athena (`requestparameters STRING`), CloudTrail Lake and several SIEMs write the
 *   record's nested objects as JSON text. Those fields are parsed back into objects, so the catalog can
 *   read a request whatever exported it. A string that does not parse is left as it is, and
 *   `normalizeRecord` names it, so the intake rejects that record with the reason.
 */
import { jsonErrorText } from "./json-error.ts";

interface Shape {
  readonly keys: readonly string[];
  /** Known keys whose value has a shape of its own: an object, or an array of objects (`resources`). */
  readonly nested?: Readonly<Record<string, Shape>>;
  /** Known keys CloudTrail writes as objects or arrays, and exports may write as JSON text. */
  readonly json?: ReadonlySet<string>;
}

const SESSION_ISSUER: Shape = { keys: ["type", "principalId", "arn", "accountId", "userName"] };
const SESSION_CONTEXT: Shape = {
  keys: ["sessionIssuer", "webIdFederationData", "attributes", "sourceIdentity", "ec2RoleDelivery"],
  nested: {
    sessionIssuer: SESSION_ISSUER,
    attributes: { keys: ["creationDate", "mfaAuthenticated"] },
    webIdFederationData: { keys: ["federatedProvider", "attributes"] },
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

/** The shape of `userIdentity`, for reading an identity on its own (quick.ts). */
export const IDENTITY_SHAPE: Shape = USER_IDENTITY;

/** One entry of `resources` (Athena: `ARRAY<STRUCT<arn, accountid, type>>`). */
const RESOURCE: Shape = { keys: ["ARN", "accountId", "type"] };
const TLS_DETAILS: Shape = { keys: ["tlsVersion", "cipherSuite", "clientProvidedHostHeader"] };
const ADDENDUM: Shape = { keys: ["reason", "updatedFields", "originalRequestID", "originalEventID"] };

/**
 * Record fields that hold objects (or, for `resources`, an array) in CloudTrail and JSON text in
 * Athena, CloudTrail Lake and SIEM exports.
 */
export const JSON_FIELDS = [
  "userIdentity",
  "requestParameters",
  "responseElements",
  "additionalEventData",
  "resources",
  "serviceEventDetails",
  "addendum",
  "edgeDeviceDetails",
  "tlsDetails",
] as const;

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
    "vpcEndpointAccountId",
    "eventCategory",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
  ],
  nested: { userIdentity: USER_IDENTITY, resources: RESOURCE, tlsDetails: TLS_DETAILS, addendum: ADDENDUM },
  json: new Set(JSON_FIELDS),
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

/** The canonical spelling of a key of `shape`: exact, else case-insensitive, else the key itself. */
export function canonicalKey(key: string, shape: Shape = RECORD_SHAPE): string {
  const lookup = lookupFor(shape);
  return lookup.get(key) ?? lookup.get(key.toLowerCase()) ?? key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON-text field that did not parse, with JSON.parse's reason. */
export interface UndecodedField {
  readonly field: string;
  readonly error: string;
  readonly text: string;
}

/**
 * JSON text in a field that holds an object: the parsed value, or the string itself when it does not
 * parse (noted in `failures`). A blank string is an export's empty column: `null`.
 */
function decodeJson(field: string, text: string, failures: UndecodedField[] | undefined): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    failures?.push({ field, error: jsonErrorText(error), text });
    return text;
  }
}

function shapeValue(value: unknown, shape: Shape): unknown {
  if (!Array.isArray(value)) return normalized(value, shape, undefined);
  let copy: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const next = normalized(item, shape, undefined);
    if (next !== item && copy === undefined) copy = value.slice(0, i);
    copy?.push(next);
  }
  return copy ?? value;
}

/**
 * Returns `value` with the known keys of `shape` in CloudTrail's spelling and its JSON-text fields
 * parsed. Objects already in that form are returned as they are (no copy on the hot path). Never
 * assigns through `__proto__`.
 */
export function canonicalKeys(value: unknown, shape: Shape = RECORD_SHAPE): unknown {
  return normalized(value, shape, undefined);
}

/**
 * A record in CloudTrail's form (see `canonicalKeys`), and the first JSON-text field that did not
 * parse: the intake rejects such a record rather than judge it without its request.
 */
export function normalizeRecord(value: Record<string, unknown>): {
  readonly record: Record<string, unknown>;
  readonly undecoded?: UndecodedField;
} {
  const failures: UndecodedField[] = [];
  const record = normalized(value, RECORD_SHAPE, failures) as Record<string, unknown>;
  // A duplicate spelling may have replaced the bad text (the last one wins, as in JSON.parse).
  const undecoded = failures.find((f) => record[f.field] === f.text);
  return undecoded === undefined ? { record } : { record, undecoded };
}

function normalized(value: unknown, shape: Shape, failures: UndecodedField[] | undefined): unknown {
  if (!isPlainObject(value)) return value;
  const lookup = lookupFor(shape);
  // First pass without allocating: most records are already in CloudTrail's spelling.
  let changed: [string, unknown][] | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const inner = value[key];
    const canonical = lookup.get(key) ?? lookup.get(key.toLowerCase()) ?? key;
    const decoded =
      typeof inner === "string" && shape.json?.has(canonical) === true
        ? decodeJson(canonical, inner, failures)
        : inner;
    // Own properties only: a `__proto__` or `constructor` key must never select a shape.
    const nestedShape =
      shape.nested !== undefined && Object.hasOwn(shape.nested, canonical)
        ? shape.nested[canonical]
        : undefined;
    const next = nestedShape === undefined ? decoded : shapeValue(decoded, nestedShape);
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

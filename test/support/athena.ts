/**
 * Turns a CloudTrail record into the row an Athena query over CloudTrail logs exports (and that
 * CloudTrail Lake and SIEM exports resemble): every column name lowercase; `STRING` columns hold text,
 * so nested objects (`requestparameters`, `responseelements`, `additionaleventdata`,
 * `serviceeventdetails`, `edgedevicedetails`) become JSON text and booleans become `"true"`/`"false"`;
 * `STRUCT` columns (`useridentity`, `resources`, `addendum`, `tlsdetails`) keep their nesting with
 * lowercase field names, only the fields the table declares, and null for a field the record lacks.
 * Columns the record lacks are null. Fields outside the table (a SIEM's own, such as `@timestamp`)
 * are kept, lowercased, as a SIEM export keeps its columns.
 *
 * @see https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table.html (the table definition)
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A STRUCT type: its fields, each a STRING (`"string"`), a nested STRUCT, or a MAP kept as it is. */
interface Struct {
  readonly [field: string]: "string" | "map" | Struct;
}

const SESSION_ISSUER: Struct = {
  type: "string",
  principalid: "string",
  arn: "string",
  accountid: "string",
  username: "string",
};

const USER_IDENTITY: Struct = {
  type: "string",
  principalid: "string",
  arn: "string",
  accountid: "string",
  invokedby: "string",
  accesskeyid: "string",
  username: "string",
  onbehalfof: { userid: "string", identitystorearn: "string" },
  sessioncontext: {
    attributes: { mfaauthenticated: "string", creationdate: "string" },
    sessionissuer: SESSION_ISSUER,
    ec2roledelivery: "string",
    webidfederationdata: { federatedprovider: "string", attributes: "map" },
  },
};

const RESOURCE: Struct = { arn: "string", accountid: "string", type: "string" };
const ADDENDUM: Struct = {
  reason: "string",
  updatedfields: "string",
  originalrequestid: "string",
  originaleventid: "string",
};
const TLS_DETAILS: Struct = {
  tlsversion: "string",
  ciphersuite: "string",
  clientprovidedhostheader: "string",
};

/** The table's columns in its order: STRING, a STRUCT, or an ARRAY of a STRUCT. */
const COLUMNS: readonly [string, "string" | Struct | { readonly arrayOf: Struct }][] = [
  ["eventversion", "string"],
  ["useridentity", USER_IDENTITY],
  ["eventtime", "string"],
  ["eventsource", "string"],
  ["eventname", "string"],
  ["awsregion", "string"],
  ["sourceipaddress", "string"],
  ["useragent", "string"],
  ["errorcode", "string"],
  ["errormessage", "string"],
  ["requestparameters", "string"],
  ["responseelements", "string"],
  ["additionaleventdata", "string"],
  ["requestid", "string"],
  ["eventid", "string"],
  ["resources", { arrayOf: RESOURCE }],
  ["eventtype", "string"],
  ["apiversion", "string"],
  ["readonly", "string"],
  ["recipientaccountid", "string"],
  ["serviceeventdetails", "string"],
  ["sharedeventid", "string"],
  ["vpcendpointid", "string"],
  ["vpcendpointaccountid", "string"],
  ["eventcategory", "string"],
  ["addendum", ADDENDUM],
  ["sessioncredentialfromconsole", "string"],
  ["edgedevicedetails", "string"],
  ["tlsdetails", TLS_DETAILS],
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The record's fields by lowercase name (the last one wins when two differ only in case). */
function byLowercase(value: Record<string, unknown>): Map<string, unknown> {
  return new Map(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
}

/** A STRING column's text: objects and arrays as JSON, scalars as text, null as null. */
function asString(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function asStruct(value: unknown, struct: Struct | "string" | "map"): Json {
  if (struct === "string") return asString(value);
  if (struct === "map") return isObject(value) ? (JSON.parse(JSON.stringify(value)) as Json) : null;
  if (!isObject(value)) return null;
  const fields = byLowercase(value);
  const out: { [key: string]: Json } = {};
  for (const [name, type] of Object.entries(struct)) {
    const inner = fields.get(name);
    out[name] = asStruct(inner, type);
  }
  return out;
}

/** One record as an Athena row; anything that is not a record object is returned as it is. */
export function athenaRow(record: unknown): unknown {
  if (!isObject(record)) return record;
  const fields = byLowercase(record);
  const row: { [key: string]: Json } = {};
  for (const [name, type] of COLUMNS) {
    const value = fields.get(name);
    row[name] =
      type === "string"
        ? asString(value)
        : "arrayOf" in type
          ? Array.isArray(value)
            ? value.map((item) => asStruct(item, type.arrayOf))
            : null
          : asStruct(value, type);
  }
  const columns = new Set(COLUMNS.map(([name]) => name));
  for (const [name, value] of fields) {
    if (!columns.has(name)) row[name] = JSON.parse(JSON.stringify(value ?? null)) as Json;
  }
  return row;
}

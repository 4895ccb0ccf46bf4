import { describe, expect, it } from "vitest";
import { judge, parseRecord } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { canonicalKeys } from "../../core/change/normalize.ts";
import { inspectLine } from "../../core/change/report.ts";
import { toIsoTime } from "../../core/change/schema.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import {
  lowercaseKeys,
  modifyDbInstance,
  PERSON_ARN,
  PERSON_ROLE_ARN,
  parsed,
  type RawRecord,
  TIME_ISO,
  why,
  without,
} from "./records.ts";

const context = catalogContext(DEFAULT_CONFIG);
const DB = { type: "AWS::RDS::DBInstance", id: "orders-db" };

describe("key case (SIEM exports lowercase CloudTrail's keys)", () => {
  it("restores the spelling of a fully lowercased record, nested identity included", () => {
    // prepare
    const siem = lowercaseKeys(modifyDbInstance());

    // act
    const record = parsed(siem);

    // assess
    expect(record).toMatchObject({
      eventName: "ModifyDBInstance",
      eventSource: "rds.amazonaws.com",
      eventTime: TIME_ISO,
      awsRegion: "eu-west-1",
      readOnly: false,
      userIdentity: {
        type: "AssumedRole",
        arn: PERSON_ARN,
        sessionContext: { sessionIssuer: { type: "Role", arn: PERSON_ROLE_ARN } },
      },
    });
  });

  it("reads userIdentity.sessioncontext.sessionissuer.arn under a camelCase userIdentity", () => {
    // prepare
    const raw = modifyDbInstance({
      userIdentity: {
        type: "AssumedRole",
        arn: PERSON_ARN,
        sessioncontext: { sessionissuer: { type: "Role", arn: PERSON_ROLE_ARN } },
      },
    });

    // act
    const record = parsed(raw);

    // assess
    expect(record.userIdentity?.sessionContext?.sessionIssuer?.arn).toBe(PERSON_ROLE_ARN);
  });

  it("reads a lowercase top-level useridentity", () => {
    // prepare
    const raw = without(modifyDbInstance(), "userIdentity");
    raw.useridentity = { type: "IAMUser", username: "bob", arn: "arn:aws:iam::111122223333:user/bob" };

    // act
    const record = parsed(raw);

    // assess
    expect(record.userIdentity).toMatchObject({ type: "IAMUser", userName: "bob" });
  });

  it("judges a lowercased record exactly like the original", () => {
    // prepare
    const original = modifyDbInstance();
    const siem = lowercaseKeys(original);

    // act
    const a = judge(original, context);
    const b = judge(siem, context);

    // assess
    expect(b.verdict).toBe("change");
    expect(b).toMatchObject({ verdict: a.verdict, resources: [DB], actor: { name: "alice@example.com" } });
  });

  it("returns an already canonical record as is, without copying it", () => {
    // prepare
    const raw = modifyDbInstance();

    // act
    const out = canonicalKeys(raw);

    // assess
    expect(out).toBe(raw);
  });

  it("keeps unknown keys as they are and ignores them when judging", () => {
    // prepare
    const raw = modifyDbInstance({
      p_log_type: "AWS.CloudTrail",
      "vendor.siem.index": "cloudtrail-2021.01",
      tlsDetails: { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256" },
      eventCategory: "Management",
      somethingNew: [1, { nested: true }, null],
    });
    (raw.userIdentity as RawRecord).someFutureField = { x: 1 };

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", resources: [DB] });
    expect(judgement.verdict === "change" && judgement.record).toMatchObject({
      "vendor.siem.index": "cloudtrail-2021.01",
    });
  });
});

describe("event times", () => {
  it.each<[string | number, string]>([
    ["2021-01-24 04:55:45.000", "2021-01-24T04:55:45.000Z"],
    ["2021-01-24 04:55:45", "2021-01-24T04:55:45.000Z"],
    ["2021-01-24T04:55:45Z", "2021-01-24T04:55:45.000Z"],
    ["2021-01-24T04:55:45.123456Z", "2021-01-24T04:55:45.123Z"],
    ["2021-01-24T06:55:45+02:00", "2021-01-24T04:55:45.000Z"],
    ["2021-01-23T23:25:45-05:30", "2021-01-24T04:55:45.000Z"],
    ["2021-01-24T10:25:45+0530", "2021-01-24T04:55:45.000Z"],
    [1611464145, "2021-01-24T04:55:45.000Z"],
    [1611464145123, "2021-01-24T04:55:45.123Z"],
  ])("reads %j as %s (ISO UTC)", (input, expected) => {
    // prepare
    const raw = modifyDbInstance({ eventTime: input });

    // act
    const record = parsed(raw);

    // assess
    expect(record.eventTime).toBe(expected);
    expect(toIsoTime(input)).toBe(expected);
  });

  it.each<unknown>(["yesterday", "2021-01-24T25:00:00Z", "24/01/2021 04:55", true, { when: "now" }])(
    "rejects eventTime %j as malformed, naming eventTime",
    (input) => {
      // prepare
      const raw = modifyDbInstance({ eventTime: input });

      // act
      const judgement = judge(raw, context);

      // assess
      expect(judgement.verdict).toBe("rejected");
      expect(why(judgement).reason).toBe("malformed");
      expect(why(judgement).detail).toContain("eventTime");
    },
  );

  it("falls back to @timestamp (Elastic/Logstash exports)", () => {
    // prepare
    const raw = without(modifyDbInstance(), "eventTime");
    raw["@timestamp"] = "2021-01-24 04:55:45.000";

    // act
    const record = parsed(raw);

    // assess
    expect(record.eventTime).toBe(TIME_ISO);
  });

  it("prefers eventTime over @timestamp", () => {
    // prepare
    const raw = modifyDbInstance({ "@timestamp": "2021-01-24T05:02:58.358Z" });

    // act
    const record = parsed(raw);

    // assess
    expect(record.eventTime).toBe(TIME_ISO);
  });

  it("falls back to @timestamp when eventTime is null (a SIEM column with no value)", () => {
    // prepare
    const raw = modifyDbInstance({ eventTime: null, "@timestamp": "2021-01-24T04:55:45.000Z" });

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", record: { eventTime: TIME_ISO } });
  });
});

describe("required fields", () => {
  it.each(["eventName", "eventSource", "eventTime"])(
    "rejects a record without %s as missing-field naming it",
    (field) => {
      // prepare
      const raw = without(modifyDbInstance(), field);

      // act
      const judgement = judge(raw, context);

      // assess
      expect(judgement.verdict).toBe("rejected");
      expect(why(judgement).reason).toBe("missing-field");
      expect(why(judgement).detail).toContain(field);
    },
  );

  it.each<[string, unknown]>([
    ["eventName", null],
    ["eventName", ""],
    ["eventSource", null],
    ["eventTime", ""],
  ])("treats %s = %j as missing", (field, value) => {
    // prepare
    const raw = modifyDbInstance({ [field]: value });

    // act
    const judgement = judge(raw, context);

    // assess
    expect(why(judgement)).toEqual({ reason: "missing-field", detail: expect.stringContaining(field) });
  });

  it("names every missing field at once", () => {
    // prepare
    const raw = { requestParameters: { dBInstanceIdentifier: "orders-db" } };

    // act
    const judgement = judge(raw, context);

    // assess
    expect(why(judgement).reason).toBe("missing-field");
    for (const field of ["eventName", "eventSource", "eventTime"])
      expect(why(judgement).detail).toContain(field);
  });

  it.each<[string, unknown]>([
    ["eventName", 42],
    ["eventSource", { service: "rds" }],
  ])("rejects %s of the wrong type (%j) as malformed, not as missing", (field, value) => {
    // prepare
    const raw = modifyDbInstance({ [field]: value });

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement.verdict).toBe("rejected");
    expect(why(judgement).reason).toBe("malformed");
    expect(why(judgement).detail).toContain(field);
  });

  it("keeps what could be read of a rejected SIEM record for the report line", () => {
    // prepare
    const raw = lowercaseKeys(without(modifyDbInstance(), "eventTime"));

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement.verdict).toBe("rejected");
    expect(judgement.verdict === "rejected" && judgement.partial).toMatchObject({
      eventName: "ModifyDBInstance",
      eventSource: "rds.amazonaws.com",
    });
  });

  it("classifies a record without eventID, and reports its eventID as null", () => {
    // prepare
    const raw = without(modifyDbInstance(), "eventID");

    // act
    const judgement = judge(raw, context);
    const line = inspectLine("capture.json", judgement);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", resources: [DB] });
    expect(line).toMatchObject({ eventID: null, eventName: "ModifyDBInstance", verdict: "change" });
  });
});

describe("booleans written as strings", () => {
  it.each<[unknown, string]>([
    ["false", "change"],
    ["FALSE", "change"],
    [false, "change"],
    ["true", "ignored"],
    [" True ", "ignored"],
    [true, "ignored"],
  ])("reads readOnly %j (verdict %s)", (readOnly, verdict) => {
    // prepare
    const raw = modifyDbInstance({ readOnly });

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement.verdict).toBe(verdict);
    if (verdict === "ignored") expect(why(judgement).reason).toBe("read-only");
  });

  it.each<[unknown, boolean]>([
    ["true", true],
    ["false", false],
    [true, true],
  ])("reads sessionCredentialFromConsole %j as %s", (flag, expected) => {
    // prepare
    const raw = modifyDbInstance({ sessionCredentialFromConsole: flag, managementEvent: "true" });

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement).toMatchObject({
      verdict: "change",
      record: { sessionCredentialFromConsole: expected, managementEvent: true },
      actor: { console: expected },
    });
  });
});

describe("prototype pollution", () => {
  const base = JSON.stringify(modifyDbInstance());
  const cases: [string, string][] = [
    [
      "requestParameters",
      base.replace('"requestParameters":{', '"requestParameters":{"__proto__":{"polluted":"rp"},'),
    ],
    ["the record", base.replace(/^\{/, '{"__proto__":{"polluted":"record"},')],
    [
      "userIdentity",
      base.replace('"userIdentity":{', '"userIdentity":{"__proto__":{"polluted":"identity"},'),
    ],
    [
      "sessionContext",
      base.replace('"sessionContext":{', '"sessionContext":{"__proto__":{"polluted":"session"},'),
    ],
    [
      "sessionIssuer",
      base.replace('"sessionIssuer":{', '"sessionIssuer":{"__proto__":{"polluted":"issuer"},'),
    ],
    ["the record (constructor)", base.replace(/^\{/, '{"constructor":{"prototype":{"polluted":"ctor"}},')],
    [
      "userIdentity (toString)",
      base.replace('"userIdentity":{', '"userIdentity":{"toString":{"polluted":"ts"},'),
    ],
  ];

  it.each(cases)("a __proto__-style key in %s stays data: no throw, no pollution", (_where, text) => {
    // prepare
    const raw: unknown = JSON.parse(text);
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement).toMatchObject({
      verdict: "change",
      resources: [DB],
      actor: { name: "alice@example.com" },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
  });

  it("does not pollute through parseRecord's copies either (no throw on a lowercase __proto__ sibling)", () => {
    // prepare
    const raw: unknown = JSON.parse(
      '{"__proto__":1,"eventname":"ModifyDBInstance","eventsource":"rds.amazonaws.com","@timestamp":"2021-01-24T04:55:45Z","requestparameters":{"dbinstanceidentifier":"orders-db","__proto__":{"polluted":true}}}',
    );

    // act
    const result = parseRecord(raw);

    // assess
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

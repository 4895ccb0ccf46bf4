import { describe, expect, it } from "vitest";
import { createCatalog, effectOf } from "../../core/catalog/catalog.ts";
import { CATALOG } from "../../core/catalog/entries.ts";
import { touchedResources } from "../../core/catalog/resolve.ts";
import type { CatalogEntry } from "../../core/catalog/types.ts";
import { judge, parseRecord } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import type { CloudTrailRecord } from "../../core/change/schema.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";

/**
 * Entries whose effect or touched types depend on the request: `ssm:PutParameter` modifies a parameter
 * only with `overwrite: true`; SSM's tagging APIs name the kind of resource in `resourceType`.
 */

const catalog = createCatalog();
const context = catalogContext(DEFAULT_CONFIG);

function ssmCall(eventName: string, requestParameters: Record<string, unknown>): Record<string, unknown> {
  return {
    eventVersion: "1.09",
    eventTime: "2025-03-14T11:00:00Z",
    eventSource: "ssm.amazonaws.com",
    eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.24",
    userAgent: "aws-cli/2.17.40",
    userIdentity: {
      type: "AssumedRole",
      arn: "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
      accountId: "111122223333",
    },
    requestParameters,
    responseElements: { version: 2, tier: "Standard" },
    eventID: `e-${eventName}-${JSON.stringify(requestParameters).length}`,
    readOnly: false,
    eventType: "AwsApiCall",
    recipientAccountId: "111122223333",
  };
}

function record(raw: Record<string, unknown>): CloudTrailRecord {
  const parsed = parseRecord(raw);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.record;
}

describe("ssm:PutParameter", () => {
  it.each([
    [true, "modify"],
    ["true", "modify"],
    ["TRUE", "modify"],
    [false, "create"],
    ["false", "create"],
    [undefined, "create"],
  ])("overwrite %j is %s", (overwrite, effect) => {
    // prepare
    const raw = ssmCall("PutParameter", {
      name: "/orders/prod/flags",
      type: "String",
      ...(overwrite === undefined ? {} : { overwrite }),
    });

    // act
    const entry = catalog.lookup("ssm.amazonaws.com", "PutParameter", record(raw));

    // assess
    expect(entry?.effect).toBe(effect);
  });

  it("is judged a change to the parameter with overwrite, and a new resource without", () => {
    // prepare
    const overwrite = ssmCall("PutParameter", { name: "/orders/prod/flags", overwrite: true });
    const fresh = ssmCall("PutParameter", { name: "/orders/prod/new-flag", overwrite: false });

    // act
    const changed = judge(overwrite, context);
    const created = judge(fresh, context);

    // assess
    expect(changed).toMatchObject({
      verdict: "change",
      resources: [{ type: "AWS::SSM::Parameter", id: "/orders/prod/flags" }],
    });
    expect(created).toMatchObject({ verdict: "ignored", reason: "creates-new-resource" });
  });

  it("without the record, lookup gives the declared effect: the one that can drift", () => {
    expect(catalog.lookup("ssm.amazonaws.com", "PutParameter")?.effect).toBe("modify");
  });
});

describe("ssm tagging by resourceType", () => {
  it.each([
    ["Parameter", "/orders/prod/flags", "AWS::SSM::Parameter"],
    ["Document", "orders-runbook", "AWS::SSM::Document"],
    ["MaintenanceWindow", "mw-0c50858d01EXAMPLE", "AWS::SSM::MaintenanceWindow"],
    ["PatchBaseline", "pb-0c10e65780EXAMPLE", "AWS::SSM::PatchBaseline"],
  ])("%s resolves to its own type only", (resourceType, resourceId, type) => {
    // prepare
    const raw = record(ssmCall("AddTagsToResource", { resourceType, resourceId, tags: [] }));
    const entry = catalog.lookup("ssm.amazonaws.com", "AddTagsToResource", raw) as CatalogEntry;

    // act
    const resolution = touchedResources(entry, raw);

    // assess
    expect(entry.effect).toBe("modify");
    expect(resolution).toEqual({ ok: true, resources: [{ type, id: resourceId }] });
  });

  it("a managed instance's tags are operational, not a template property", () => {
    // prepare
    const raw = ssmCall("AddTagsToResource", {
      resourceType: "ManagedInstance",
      resourceId: "mi-0123456789abcdef0",
      tags: [],
    });

    // act
    const judgement = judge(raw, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "ignored", reason: "operational" });
  });
});

describe("conditional entries in the catalog", () => {
  const conditional = CATALOG.filter((entry) => entry.when !== undefined);

  it("exist", () => {
    expect(conditional.map((e) => `${e.service}:${e.event}`)).toContain("ssm:PutParameter");
  });

  it.each(conditional.map((e) => [`${e.service}:${e.event}`, e] as const))(
    "%s declares the consequential effect and falls back to one no rule watches",
    (_key, entry) => {
      expect(["modify", "delete"]).toContain(entry.effect);
      expect(["create", "operational"]).toContain(entry.when?.otherwise);
      expect(entry.touches.length).toBeGreaterThan(0);
    },
  );

  it("effectOf gives the entry's effect when it has no condition", () => {
    const entry = catalog.lookup("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress") as CatalogEntry;
    expect(effectOf(entry, record(ssmCall("X", {})))).toBe("modify");
  });
});

describe("alsoChanges", () => {
  it("names attachment types, never a type the same entry already resolves", () => {
    for (const entry of CATALOG) {
      const touched = new Set(entry.touches.map((t) => t.type));
      for (const type of entry.alsoChanges ?? []) {
        expect(type, `${entry.service}:${entry.event}`).toMatch(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/);
        expect(touched.has(type), `${entry.service}:${entry.event} ${type}`).toBe(false);
      }
    }
  });
});

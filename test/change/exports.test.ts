import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { candidates } from "../../core/change/decode.ts";
import type { InspectLine } from "../../core/change/report.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths } from "../../functions/cli/inspect.ts";
import { listCaptureFiles, readCaptureFile } from "../../functions/io/read-captures.ts";
import { collect, type TempDir, tempDir } from "../io/temp-files.ts";
import { athenaRow } from "../support/athena.ts";
import { CORPUS } from "../support/corpus.ts";
import { ingress, modifyDbInstance, SG_ID } from "./records.ts";

/**
 * Exports people have (issue 13): Athena, CloudTrail Lake and SIEM exports write CloudTrail records
 * with lowercase keys and the nested objects as JSON text. The intake parses them back, and every real
 * record gets the same verdict, reason, resources and actor in both shapes.
 */

const context = catalogContext(DEFAULT_CONFIG);
const corpus = fileURLToPath(CORPUS);
const DATASETS = [path.join(corpus, "realworld"), path.join(corpus, "cloudtrail")];
const SG = { type: "AWS::EC2::SecurityGroup", id: SG_ID };

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir("exports");
});
afterAll(async () => {
  await temp.remove();
});

describe("JSON text in a record's object fields", () => {
  it.each(["requestParameters", "requestparameters"])(
    "reads %s written as JSON text, and finds the resource in it",
    (key) => {
      // prepare
      const record = ingress();
      const { requestParameters, ...rest } = record;
      const exported = { ...rest, [key]: JSON.stringify(requestParameters) };

      // act
      const judgement = judge(exported, context);

      // assess
      expect(judgement).toMatchObject({ verdict: "change", resources: [SG] });
    },
  );

  it("reads userIdentity and resources written as JSON text, with lowercase keys inside", () => {
    // prepare
    const exported = {
      ...modifyDbInstance(),
      userIdentity: JSON.stringify({
        type: "IAMUser",
        username: "bob",
        arn: "arn:aws:iam::111122223333:user/bob",
      }),
      resources: JSON.stringify([
        { arn: "arn:aws:rds:eu-west-1:111122223333:db:orders-db", type: "AWS::RDS::DBInstance" },
      ]),
    };

    // act
    const judgement = judge(exported, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", actor: { name: "bob", type: "IAMUser" } });
    expect(judgement.verdict === "change" && judgement.record.resources).toEqual([
      { ARN: "arn:aws:rds:eu-west-1:111122223333:db:orders-db", type: "AWS::RDS::DBInstance" },
    ]);
  });

  it("reads an empty column (blank text) as no value", () => {
    // prepare
    const exported = {
      ...ingress({ errorCode: "AccessDenied" }),
      responseElements: "",
      additionalEventData: " ",
    };

    // act
    const judgement = judge(exported, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "ignored", reason: "failed-call" });
  });

  it.each([
    ["requestParameters", '{"groupId": "sg-0abc1234def567890"'],
    ["responseElements", "{not json}"],
    ["userIdentity", "alice"],
    ["additionalEventData", '{"x": tru}'],
  ])("rejects a record whose %s is JSON text that does not parse, naming the field", (field, text) => {
    // prepare
    const exported = { ...ingress(), [field]: text };

    // act
    const judgement = judge(exported, context);

    // assess
    expect(judgement).toMatchObject({
      verdict: "rejected",
      reason: "malformed",
      detail: expect.stringMatching(new RegExp(`^${field} is JSON text that does not parse: .+`)),
      partial: { eventName: "AuthorizeSecurityGroupIngress" },
    });
  });

  it("names the record's place in the file for a bad row in the middle of an export, and judges the rows around it", async () => {
    // prepare
    const rows = [
      athenaRow(ingress()),
      { ...(athenaRow(ingress()) as object), requestparameters: "{oops" },
      athenaRow(ingress()),
    ];
    const file = await temp.write("athena-bad-row.jsonl", rows.map((r) => JSON.stringify(r)).join("\n"));

    // act
    const lines = await collect(inspectPaths([file], DEFAULT_CONFIG));

    // assess
    const display = path.relative(process.cwd(), file);
    expect(lines.map((l) => [l.source, l.verdict, l.reason ?? ""])).toEqual([
      [`${display}#0`, "change", ""],
      [
        `${display}#1`,
        "rejected",
        expect.stringMatching(/^malformed: requestParameters is JSON text that does not parse: /),
      ],
      [`${display}#2`, "change", ""],
    ]);
  });
});

/** Every record of the real datasets, in inspect's order, and the record as a candidate. */
async function realRecords(): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const file of await listCaptureFiles(DATASETS)) {
    for await (const item of readCaptureFile(file)) {
      if (item.kind === "error") throw new Error(`${file}: ${item.error}`);
      for (const { raw } of candidates(item.value, item.path ?? "", item.depth ?? 0)) out.push(raw);
    }
  }
  return out;
}

function summary(line: InspectLine) {
  return { verdict: line.verdict, reason: line.reason, resources: line.resources, actor: line.actor };
}

describe("the real datasets as an Athena export", () => {
  it("every record gets the same verdict, reason, resources and actor as in its own shape", async () => {
    // prepare
    const records = await realRecords();
    const original = await collect(inspectPaths(DATASETS, DEFAULT_CONFIG));
    const file = await temp.write(
      "athena-export.jsonl",
      `${records.map((r) => JSON.stringify(athenaRow(r))).join("\n")}\n`,
    );

    // act
    const exported = await collect(inspectPaths([file], DEFAULT_CONFIG));

    // assess
    expect(records.length).toBeGreaterThan(3500);
    expect(exported.length).toBe(original.length);
    const differences = original
      .map((line, i) => ({ line, other: exported[i] as InspectLine }))
      .filter(({ line, other }) => JSON.stringify(summary(line)) !== JSON.stringify(summary(other)))
      .map(
        ({ line, other }) =>
          `${line.source}: ${JSON.stringify(summary(line))} != ${JSON.stringify(summary(other))}`,
      );
    expect(differences).toEqual([]);
    // The export is worth testing only if it holds changes the catalog finds.
    expect(exported.filter((l) => l.verdict === "change").length).toBeGreaterThan(300);
  });

  it("the export's rows really are Athena's: lowercase keys, nested objects as JSON text", async () => {
    // prepare
    const [first] = (await realRecords()).filter(
      (r) =>
        typeof r === "object" &&
        r !== null &&
        "requestParameters" in r &&
        (r as { requestParameters: unknown }).requestParameters !== null,
    );

    // act
    const row = athenaRow(first) as Record<string, unknown>;

    // assess
    expect(Object.keys(row).every((k) => k === k.toLowerCase())).toBe(true);
    expect(typeof row.requestparameters).toBe("string");
    expect(typeof row.useridentity).toBe("object");
  });
});

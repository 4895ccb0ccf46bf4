import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonErrorText } from "../../core/change/json-error.ts";
import { main } from "../../functions/cli/main.ts";
import type { Output } from "../../functions/cli/output.ts";

/**
 * A record that does not parse is rejected with JSON.parse's reason, and V8 quotes up to about ten
 * characters of the text around the bad token: part of a password, in a capture. The reason keeps
 * V8's words and position and never the input (issue 15).
 */

function parseError(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("jsonErrorText", () => {
  it("drops the text V8 quotes, keeping its words and position", () => {
    expect(jsonErrorText(parseError('{"password":"Zq8vLm2Rt9xWp"}}'))).toBe(
      "Unexpected non-whitespace character after JSON at position 28 (line 1 column 29)",
    );
    expect(jsonErrorText(parseError("db_pwd=Zq8vLm2Rt9xWp"))).toBe("Unexpected token");
    expect(jsonErrorText(parseError('{"a":tru}'))).toBe("Unexpected token");
    expect(jsonErrorText(parseError('{"value":"Sup3rS3cretValue!!"},"x":}'))).not.toContain("!!");
  });

  it("never quotes the input: V8 quotes input only between double quotes, and none are left", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 40 }),
          fc.json().map((json) => json.slice(0, Math.max(0, json.length - 1))),
          fc.tuple(fc.json(), fc.string({ maxLength: 12 })).map(([json, tail]) => `${json}${tail}`),
        ),
        (text) => {
          const error = parseError(text);
          fc.pre(error !== undefined);
          expect(jsonErrorText(error)).not.toContain('"');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("phantom inspect on a broken record holding a secret", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "phantom-json-error-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("rejects it with where it broke and no part of the record's text", async () => {
    const secret = "Sup3rS3cretValue!!";
    const file = path.join(scratch, "broken.jsonl");
    await writeFile(
      file,
      [
        `{"eventName":"PutParameter","requestParameters":{"name":"/prod/db/password","value":"${secret}"},"x":}`,
        `{"eventName":"x","password":"${secret}" "y":1}`,
        `db_pwd=${secret}`,
      ].join("\n"),
    );
    for (const args of [
      ["inspect", "--json", file],
      ["inspect", file],
    ]) {
      let out = "";
      let err = "";
      const io: Output = { out: (t) => (out += t), err: (t) => (err += t) };
      await main(args, io);
      const written = out + err;
      expect(written).toContain("is not valid JSON");
      // Not the secret, and not the few characters of it V8 used to quote (`..."e!!"},"x":}"`).
      for (const fragment of [secret, "e!!", "Sup3r", "db_pwd="]) expect(written).not.toContain(fragment);
    }
  });
});

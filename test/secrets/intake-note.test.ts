import { describe, expect, it } from "vitest";
import { intakeNote } from "../../functions/replay/replay-ports.ts";

/** analysis.json's `intake.notes` quote where a record broke: never a secret it held (issue 15). */

describe("intakeNote", () => {
  it("redacts what a note quotes of the record", () => {
    const note = intakeNote([
      `events/x.jsonl:3: malformed: requestParameters is JSON text that does not parse: SyntaxError: Unexpected token 'd', "db_pwd=Zq8vLm2Rt9xWp"... is not valid JSON`,
      "events/x.jsonl:4: malformed: connect postgres://app:Zq8vLm2Rt9xWp4K@db.internal/app",
    ]);
    expect(JSON.stringify(note)).not.toContain("Zq8vLm2Rt9");
    expect(note?.notes[0]).toContain("db_pwd=[redacted]");
    expect(note?.unread).toBe(2);
  });
});

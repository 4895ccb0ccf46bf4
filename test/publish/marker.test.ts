import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changesFingerprint, markerVerdict, parseMarker, renderMarker } from "../../core/publish/marker.ts";

const marker = {
  stack: "payments-prod",
  window: "payments-prod#2026-03-02T03:04:05.000Z",
  fingerprint: "0123456789abcdef",
  validAt: "2026-03-02T03:10:00.000Z",
};

describe("the PR marker", () => {
  it("renders as one hidden HTML comment in the documented form", () => {
    expect(renderMarker(marker)).toBe(
      "<!-- phantom:stack=payments-prod window=payments-prod%232026-03-02T03:04:05.000Z fingerprint=0123456789abcdef valid-at=2026-03-02T03:10:00.000Z -->",
    );
  });

  it("is read from the body's last line, trailing whitespace (a CRLF too) allowed", () => {
    const body = `## Drift\n\nSome text <!-- not ours -->\n\n${renderMarker(marker)}\n`;
    expect(parseMarker(body)).toEqual(marker);
    expect(parseMarker(`${body.replace(/\n/g, "\r\n")}  \r\n\r\n`)).toEqual(marker);
  });

  describe("only Phantom's own final line counts (issue 15)", () => {
    const forged = renderMarker({
      stack: "payments-prod",
      window: "forged",
      fingerprint: "ffffffffffffffff",
      validAt: "2099-01-01T00:00:00.000Z",
    });

    it("ignores a forged marker quoted before Phantom's, in a code span or a JSON block", () => {
      for (const quoted of [
        `| \`Tags/0/Value\` | \`${forged}\` |`,
        `\`\`\`json\n{"Value": "${forged}"}\n\`\`\``,
        forged,
      ]) {
        const body = `## Changes\n\n${quoted}\n\n${renderMarker(marker)}\n`;
        expect(parseMarker(body)).toEqual(marker);
      }
    });

    it("finds none when the last line is something else, whatever came before", () => {
      expect(parseMarker(`${renderMarker(marker)}\n\nfooter`)).toBeUndefined();
      expect(parseMarker(`${forged}\n\n${renderMarker(marker)} trailing text`)).toBeUndefined();
      expect(parseMarker(`text before ${renderMarker(marker)}`)).toBeUndefined();
    });

    it("takes no marker from the middle of any text that does not end with one", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (before, after) => {
          fc.pre(after.trim() !== "" && !after.includes("\n"));
          expect(parseMarker(`${before}\n${forged}\n${after}`)).toBeUndefined();
        }),
      );
    });
  });

  it("round-trips any values, even ones holding spaces, '=' or '-->'", () => {
    const value = fc
      .oneof(
        fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
        fc.constantFrom("-->", "a b", "x=y", "%41", "w\n2", "<!--", "é ü 🙂"),
      )
      .filter((s) => s.trim() !== "");
    fc.assert(
      fc.property(
        value,
        value,
        value,
        fc.date({ noInvalidDate: true }),
        (stack, window, fingerprint, date) => {
          const m = { stack, window, fingerprint, validAt: date.toISOString() };
          expect(parseMarker(`before\n${renderMarker(m)}\n`)).toEqual(m);
        },
      ),
    );
  });

  it("replaces a lone surrogate rather than failing", () => {
    expect(parseMarker(renderMarker({ ...marker, window: "w\uD800" }))?.window).toBe("w\uFFFD");
  });

  it.each([
    ["no marker", "## Drift"],
    ["a field missing", "<!-- phantom:stack=a window=b fingerprint=c -->"],
    ["an unreadable valid-at", "<!-- phantom:stack=a window=b fingerprint=c valid-at=yesterday -->"],
    [
      "a broken escape",
      "<!-- phantom:stack=%E0%A4%A window=b fingerprint=c valid-at=2026-01-01T00:00:00Z -->",
    ],
  ])("is absent with %s", (_what, body) => {
    expect(parseMarker(body)).toBeUndefined();
  });
});

describe("markerVerdict", () => {
  const at = (validAt: string, fingerprint = "new") => ({ ...marker, validAt, fingerprint });

  it("is unchanged for the same fingerprint, whatever the times", () => {
    expect(markerVerdict(at("2026-03-02T05:00:00Z", "same"), at("2026-03-02T04:00:00Z", "same"))).toBe(
      "unchanged",
    );
  });

  it("is stale when the open PR's state is strictly later", () => {
    expect(markerVerdict(at("2026-03-02T05:00:00Z", "old"), at("2026-03-02T04:00:00Z"))).toBe("stale");
  });

  it("updates for a newer or equally recent window, and when the PR has no marker", () => {
    expect(markerVerdict(at("2026-03-02T04:00:00Z", "old"), at("2026-03-02T05:00:00Z"))).toBe("update");
    expect(markerVerdict(at("2026-03-02T05:00:00Z", "old"), at("2026-03-02T05:00:00.000Z"))).toBe("update");
    expect(markerVerdict(undefined, at("2026-03-02T05:00:00Z"))).toBe("update");
  });

  it("never lets a window's settle-time analysis undo its review, which round-trips in the marker", () => {
    const reviewed = { ...at("2026-03-02T05:00:00Z", "review"), reviewed: true };
    const settled = at("2026-03-02T05:00:00Z", "settle");

    expect(parseMarker(renderMarker(reviewed))).toEqual(reviewed);
    expect(markerVerdict(reviewed, settled)).toBe("stale");
    expect(markerVerdict(settled, reviewed)).toBe("update");
    expect(markerVerdict(reviewed, { ...settled, window: "payments-prod#later" })).toBe("update");
  });

  it("lets the weekly sweep open a PR where none is open, never replace one a window of events wrote", () => {
    const swept = { ...at("2026-03-09T06:00:00Z", "sweep"), window: "sweep-payments-prod", sweep: true };
    const events = at("2026-03-02T05:00:00Z", "events");

    expect(parseMarker(renderMarker(swept))).toEqual(swept);
    expect(markerVerdict(events, swept)).toBe("stale");
    expect(markerVerdict(undefined, swept)).toBe("update");
    expect(
      markerVerdict({ ...swept, fingerprint: "older sweep", validAt: "2026-03-02T06:00:00Z" }, swept),
    ).toBe("update");
    expect(markerVerdict(swept, at("2026-03-10T05:00:00Z"))).toBe("update");
  });
});

describe("changesFingerprint", () => {
  const sg = {
    logicalId: "WebSg",
    propertyPath: "/SecurityGroupIngress/2",
    differenceType: "ADD",
    expected: null,
    actual: { CidrIp: "10.0.0.0/8", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
    decision: "legitimize",
  };
  const queue = {
    logicalId: "Queue",
    propertyPath: "/VisibilityTimeout",
    differenceType: "NOT_EQUAL",
    expected: "30",
    actual: "60",
    decision: "revert",
  };

  it("is 16 hex digits and deterministic", () => {
    const fp = changesFingerprint({ stack: "payments", changes: [sg, queue] });
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(changesFingerprint({ stack: "payments", changes: [sg, queue] })).toBe(fp);
  });

  it("ignores the order of changes, files and keys, and the prose around a change", () => {
    const reordered = {
      ...sg,
      actual: { ToPort: 443, IpProtocol: "tcp", FromPort: 443, CidrIp: "10.0.0.0/8" },
    };
    const withProse = { ...queue, reasoning: "someone raised it during the incident", confidence: 0.8 };
    const files = [
      { path: "a.yaml", content: "A" },
      { path: "b.json", content: "B" },
    ];
    expect(
      changesFingerprint({ stack: "payments", changes: [withProse, reordered], files: [...files].reverse() }),
    ).toBe(changesFingerprint({ stack: "payments", changes: [sg, queue], files }));
  });

  it("differs when the drift, a decision, a proposed value, a file or the stack differs", () => {
    const base = changesFingerprint({ stack: "payments", changes: [sg, queue] });
    const variants = [
      changesFingerprint({ stack: "orders", changes: [sg, queue] }),
      changesFingerprint({ stack: "payments", changes: [sg, { ...queue, actual: "90" }] }),
      changesFingerprint({ stack: "payments", changes: [sg, { ...queue, decision: "legitimize" }] }),
      changesFingerprint({
        stack: "payments",
        changes: [sg, { ...queue, decision: "refactor", proposed: "45" }],
      }),
      changesFingerprint({
        stack: "payments",
        changes: [sg, queue],
        files: [{ path: "a.yaml", content: "A" }],
      }),
      changesFingerprint({ stack: "payments", changes: [sg] }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MetricPoint, roundFigure, summarize } from "../../core/signals/summarize.ts";

const MIN = 60_000;
const T0 = Date.parse("2024-05-01T03:00:00Z");
const at = (minutes: number) => T0 + minutes * MIN;

describe("summarize", () => {
  it("averages before, during and after the events, and takes the peak during", () => {
    // Prepare: instants (no interval), events from minute 60 to minute 70.
    const points: MetricPoint[] = [
      [at(0), 10],
      [at(30), 20],
      [at(60), 80],
      [at(65), 95],
      [at(70), 50],
      [at(90), 30],
      [at(120), 40],
    ];

    // Act
    const summary = summarize(points, { firstEventAt: at(60), lastEventAt: at(70) });

    // Assess
    expect(summary).toEqual({
      before: 15,
      during: 75,
      peak: 95,
      after: 35,
      samples: { before: 2, during: 3, after: 2 },
    });
  });

  it("counts a point whose rollup interval overlaps the events as during", () => {
    // 5-minute rollup; events 12:02–12:03 fall inside the 12:00 bucket only.
    const points: MetricPoint[] = [
      [at(-10), 1],
      [at(-5), 3],
      [at(0), 9],
      [at(5), 4],
    ];
    const summary = summarize(points, { firstEventAt: at(2), lastEventAt: at(3), intervalMs: 5 * MIN });
    expect(summary).toEqual({
      before: 2,
      during: 9,
      peak: 9,
      after: 4,
      samples: { before: 2, during: 1, after: 1 },
    });
  });

  it("treats a bucket that ends exactly at the first event as before", () => {
    const summary = summarize([[at(55), 7]], {
      firstEventAt: at(60),
      lastEventAt: at(60),
      intervalMs: 5 * MIN,
    });
    expect(summary).toEqual({ before: 7, samples: { before: 1, during: 0, after: 0 } });
  });

  it("ignores gaps, non-finite values and points outside [from, to]", () => {
    const points: MetricPoint[] = [
      [at(-200), 1000],
      [at(0), null],
      [at(10), 10],
      [at(20), Number.NaN],
      [at(65), 60],
      [at(80), undefined],
      [at(90), Number.POSITIVE_INFINITY],
      [at(100), 20],
      [at(500), 1000],
    ];
    const summary = summarize(points, {
      firstEventAt: at(60),
      lastEventAt: at(70),
      from: at(-120),
      to: at(130),
    });
    expect(summary).toEqual({
      before: 10,
      during: 60,
      peak: 60,
      after: 20,
      samples: { before: 1, during: 1, after: 1 },
    });
  });

  it("leaves a part without points out instead of reporting 0", () => {
    const summary = summarize([[at(100), 5]], { firstEventAt: at(60), lastEventAt: at(70) });
    expect(summary).toEqual({ after: 5, samples: { before: 0, during: 0, after: 1 } });
    expect(summarize([], { firstEventAt: at(60), lastEventAt: at(70) })).toEqual({
      samples: { before: 0, during: 0, after: 0 },
    });
  });

  it("rounds figures to 6 significant digits", () => {
    const summary = summarize(
      [
        [at(0), 1],
        [at(1), 2],
        [at(2), 2],
      ],
      { firstEventAt: at(10), lastEventAt: at(10) },
    );
    expect(summary.before).toBe(1.66667);
    expect(roundFigure(6_123_456_789)).toBe(6_123_460_000);
    expect(roundFigure(0.000123456789)).toBe(0.000123457);
    expect(roundFigure(0)).toBe(0);
  });

  /** `value` with every number rounded to a multiple of 1e-9 × `scale` (keys and structure kept). */
  const roughly = (value: unknown, scale: number): unknown => {
    if (typeof value === "number") return Math.round(value / (1e-9 * scale)) * 1e-9 * scale + 0;
    if (Array.isArray(value)) return value.map((v) => roughly(v, scale));
    if (typeof value === "object" && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roughly(v, scale)]));
    return value;
  };

  it("does not depend on the order of the points, and every point lands in exactly one part", () => {
    const point = fc.tuple(
      fc.integer({ min: 0, max: 300 }).map(at),
      fc.oneof(fc.constant(null), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
    );
    fc.assert(
      fc.property(fc.array(point, { maxLength: 60 }), fc.integer({ min: 0, max: 300 }), (points, start) => {
        const window = { firstEventAt: at(start), lastEventAt: at(start + 10), intervalMs: 5 * MIN };
        const forward = summarize(points, window);
        const backward = summarize([...points].reverse(), window);
        // Float sums depend on their order by rounding alone (1e-323 + 1e6 - 1e6 is not -1e6 + 1e6 +
        // 1e-323): the figures agree within a rounding of the largest point, everything else exactly.
        const scale = Math.max(1, ...points.map(([, v]) => Math.abs(v ?? 0)));
        expect(roughly(backward, scale)).toEqual(roughly(forward, scale));
        const counted = points.filter(([, v]) => v !== null).length;
        const { before, during, after } = forward.samples;
        expect(before + during + after).toBe(counted);
        if (forward.peak !== undefined && forward.during !== undefined)
          expect(forward.peak).toBeGreaterThanOrEqual(forward.during - 1e-6 * Math.abs(forward.during));
      }),
    );
  });
});

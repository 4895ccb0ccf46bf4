import os from "node:os";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { dueAt } from "../../core/window/policy.ts";
import type { StackRef } from "../../core/window/stack.ts";
import type { WindowStore } from "../../core/window/store.ts";
import { createDynamoWindowStore } from "../../functions/adapters/dynamo-window-store.ts";
import { startDynalite } from "../support/dynalite.ts";
import { windowEvent } from "../window/window-store.contract.ts";

/**
 * `npm run bench -- --only=contention` (BENCHMARKS.md "Load", one busy stack). Standalone:
 * `node --import tsx test/bench/contention.ts [--quick]`. 64 writers (each its own window store, as
 * 64 on-change containers) touch one stack 10 times each, back to back, against dynalite over HTTP
 * with the real SDK client, while 2 settlers claim and complete the stack's window whenever it is due
 * under a settle policy compressed from production's 120 s / 15 min. Per policy: touches that failed,
 * windows settled, touch wall time (median, p99, max), every event in exactly one window.
 * test/window/dynamo-contention.test.ts asserts the 3 s / 6 s case.
 */

const WRITERS = 64;
const TOUCHES = 10;
const SETTLERS = 2;
const STACK: StackRef = { account: "123456789012", region: "us-east-1", stack: "payments" };
const quick = process.argv.includes("--quick");
const POLICIES = quick
  ? [{ quietMs: 3_000, maxWaitMs: 6_000 }]
  : [
      { quietMs: 3_000, maxWaitMs: 6_000 },
      { quietMs: 1_000, maxWaitMs: 2_000 },
      { quietMs: 300, maxWaitMs: 600 },
    ];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function run(policy: { quietMs: number; maxWaitMs: number }, table: string, client: DynamoDBClient) {
  const make = () =>
    createDynamoWindowStore({
      client: client as Parameters<typeof createDynamoWindowStore>[0]["client"],
      table,
    });
  const writers = Array.from({ length: WRITERS }, make);
  const settlers: WindowStore[] = Array.from({ length: SETTLERS }, make);
  let n = 0;
  const newId = () => `w-${++n}`;
  let writing = true;
  let settled = 0;
  const settling = settlers.map(async (settler, s) => {
    while (writing) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const window = await settler.unfinished(STACK);
      if (window === undefined || window.status !== "open") continue;
      const now = Date.now();
      if (now < dueAt(window, { ...policy, leaseMs: 60_000, maxAttempts: 3 })) continue;
      const owner = `settler-${s}`;
      const claim = await settler.claim({
        ...STACK,
        windowId: window.id,
        owner,
        now,
        leaseMs: 60_000,
        maxAttempts: 3,
      });
      if (claim.ok && (await settler.complete({ ...STACK, windowId: window.id, owner, now }))) settled += 1;
    }
  });
  const times: number[] = [];
  const failures: string[] = [];
  const windowOf = new Map<string, string>();
  const loadBefore = os.loadavg()[0] ?? 0;
  const started = performance.now();
  await Promise.all(
    writers.map(async (writer, w) => {
      for (let i = 0; i < TOUCHES; i++) {
        const began = performance.now();
        try {
          const key = `w${w}-e${i}`;
          const result = await writer.touch({
            ...STACK,
            event: windowEvent(key, i),
            logicalIds: [`R${w % 8}`],
            now: Date.now(),
            newId,
          });
          windowOf.set(key, result.window.id);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
        times.push(performance.now() - began);
      }
    }),
  );
  const wallMs = performance.now() - started;
  writing = false;
  await Promise.all(settling);
  // Every event in exactly one window: read the windows back.
  const stored = new Map<string, number>();
  for (const id of new Set(windowOf.values())) {
    for (const event of (await settlers[0]?.get(STACK, id))?.events ?? [])
      stored.set(event.key, (stored.get(event.key) ?? 0) + 1);
  }
  return {
    policy,
    touches: WRITERS * TOUCHES,
    failed: failures.length,
    firstFailure: failures[0],
    settled,
    windows: new Set(windowOf.values()).size,
    storedOnce: [...stored.values()].filter((c) => c === 1).length,
    storedTwice: [...stored.values()].filter((c) => c > 1).length,
    medianMs: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: Math.max(...times),
    wallMs,
    loadBefore,
  };
}

const dynamo = await startDynalite();
try {
  process.stderr.write(
    `contention: ${WRITERS} writers x ${TOUCHES} touches on one stack, ${SETTLERS} settlers; node ${process.version}, ${os.cpus().length} cpu(s)\n`,
  );
  let k = 0;
  for (const policy of POLICIES) {
    const table = await dynamo.createWindowTable(`contention-${++k}`);
    const r = await run(policy, table, dynamo.client);
    process.stdout.write(
      `quiet ${r.policy.quietMs} ms / max wait ${r.policy.maxWaitMs} ms: ${r.failed} of ${r.touches} touches failed${r.firstFailure ? ` (${r.firstFailure})` : ""}; ${r.settled} settles, ${r.windows} windows; stored once ${r.storedOnce}, twice ${r.storedTwice}; touch median ${r.medianMs.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms; ${(r.wallMs / 1000).toFixed(1)} s wall, load ${r.loadBefore.toFixed(2)} before\n`,
    );
  }
} finally {
  await dynamo.stop();
}

import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Bundled scenarios with hostile console text planted where an attacker with console access would
 * put it (issue 15): a copy in `dir`, the drift and signals files edited, the rest as recorded.
 */

const SCENARIOS = fileURLToPath(new URL("../../fixtures/scenarios/", import.meta.url));

/** What the tests plant. */
export const HOSTILE = {
  /** A Lambda description that would close the PR's `<details>`, ping a team and run HTML. */
  description: "</details> @acme/everyone <img onerror=alert(1)>",
  /** A tag key that is a team mention. */
  tagKey: "@acme/security-team",
  /** A monitor name with a lone CR and a line separator, a pipe and Mermaid's comment and entity signs. */
  monitor: "[P2] orders\rsync\u2028errors | 10%% #quot; : above",
  /** Terminal escapes: clear screen, an OSC 8 hyperlink, red. */
  ansi: "\u001b[2J\u001b]8;;https://evil.example/\u0007click me\u001b]8;;\u0007\u001b[31m red",
};

/** Any control character a terminal acts on: all but the newline and the tab (and CR only in CRLF). */
export const TERMINAL_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must never reach a terminal
  /\r(?!\n)|[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Phantom's marker syntax with a far-future `valid-at`: a PR that trusted it would never be updated again. */
export function forgedMarker(stack: string): string {
  return `<!-- phantom:stack=${stack} window=${stack}-w9 fingerprint=ffffffffffffffff valid-at=2099-01-01T00:00:00.000Z -->`;
}

interface DriftDocument {
  StackResourceDrift: {
    ActualProperties: string;
    PropertyDifferences: {
      PropertyPath: string;
      ActualValue: string;
      ExpectedValue: string;
      DifferenceType: string;
    }[];
  };
}

async function editJson<T>(file: string, edit: (doc: T) => void): Promise<void> {
  const doc = JSON.parse(await readFile(file, "utf8")) as T;
  edit(doc);
  await writeFile(file, JSON.stringify(doc, null, 2));
}

/**
 * `injection-and-secret-lambda` (orders-sync-prod) with `description` as the function's live
 * Description, a tag `{Key: HOSTILE.tagKey, Value: tagValue}` added in the console, and
 * `HOSTILE.monitor` as the name of its first monitor.
 */
export async function hostileLambdaScenario(
  dir: string,
  { description = HOSTILE.description, tagValue = forgedMarker("orders-sync-prod") } = {},
): Promise<string> {
  const root = path.join(dir, "hostile-lambda");
  await cp(path.join(SCENARIOS, "injection-and-secret-lambda"), root, { recursive: true });
  const tag = { Key: HOSTILE.tagKey, Value: tagValue };
  await editJson<DriftDocument>(
    path.join(root, "account/drift/orders-sync-prod/OrdersSyncFunction.json"),
    ({ StackResourceDrift: drift }) => {
      const actual = JSON.parse(drift.ActualProperties) as Record<string, unknown>;
      actual.Description = description;
      actual.Tags = [tag];
      drift.ActualProperties = JSON.stringify(actual);
      for (const d of drift.PropertyDifferences)
        if (d.PropertyPath === "/Description") d.ActualValue = description;
      drift.PropertyDifferences.push({
        PropertyPath: "/Tags/0",
        ExpectedValue: "null",
        ActualValue: JSON.stringify(tag),
        DifferenceType: "ADD",
      });
    },
  );
  await editJson<{ monitors: { name: string }[] }>(path.join(root, "signals.json"), (signals) => {
    const [first] = signals.monitors;
    if (first) first.name = HOSTILE.monitor;
  });
  return root;
}

/** `payments-3am-incident` with the marker forged in the value of the tag added to AppServer. */
export async function forgedMarkerPaymentsScenario(dir: string): Promise<string> {
  const root = path.join(dir, "forged-marker-payments");
  await cp(path.join(SCENARIOS, "payments-3am-incident"), root, { recursive: true });
  const tag = { Key: "IncidentRef", Value: forgedMarker("payments-prod") };
  await editJson<DriftDocument>(
    path.join(root, "account/drift/payments-prod/AppServer.json"),
    ({ StackResourceDrift: drift }) => {
      const actual = JSON.parse(drift.ActualProperties) as { Tags: { Key: string; Value: string }[] };
      actual.Tags = actual.Tags.map((t) => (t.Key === tag.Key ? tag : t));
      drift.ActualProperties = JSON.stringify(actual);
      for (const d of drift.PropertyDifferences)
        if (d.PropertyPath === "/Tags/0") d.ActualValue = JSON.stringify(tag);
    },
  );
  return root;
}

import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A strict, stateful local Datadog for `phantom datadog apply`: dashboards and monitors live in
 * memory, and the official client talks real HTTP to it on 127.0.0.1. It answers only the routes
 * apply uses (list, get, create, update); anything else is recorded as unexpected and gets a 400.
 * Like Datadog, it adds its own fields to what it stores (ids, authors, widget ids, defaulted monitor
 * options), so "unchanged" has to ignore them. Every request must carry both keys, or it gets a 403.
 *
 * Shapes follow Datadog's API reference for these endpoints.
 * @see https://docs.datadoghq.com/api/latest/dashboards/
 * @see https://docs.datadoghq.com/api/latest/monitors/
 */

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly json?: unknown;
}

type Json = Record<string, unknown>;

export interface FakeDatadog {
  readonly url: string;
  readonly requests: SeenRequest[];
  readonly unexpected: SeenRequest[];
  readonly dashboards: Map<string, Json>;
  readonly monitors: Map<number, Json>;
  /** Requests that wrote (POST / PUT), as `METHOD path`. */
  writes(): string[];
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** What Datadog adds to a stored dashboard. */
function storeDashboard(id: string, body: Json): Json {
  const widgets = Array.isArray(body.widgets) ? body.widgets : [];
  return {
    ...body,
    id,
    author_handle: "someone@example.com",
    author_name: "Someone",
    created_at: "2026-03-14T03:00:00.000000+00:00",
    modified_at: "2026-03-14T03:00:00.000000+00:00",
    url: `/dashboard/${id}/phantom`,
    is_read_only: false,
    notify_list: [],
    widgets: widgets.map((w: unknown, i: number) => ({ ...(w as Json), id: 1000 + i })),
  };
}

/** What Datadog adds to a stored monitor. */
function storeMonitor(id: number, body: Json, before: Json = {}): Json {
  const options = (body.options ?? {}) as Json;
  return {
    ...before,
    ...body,
    id,
    created: "2026-03-14T03:00:00.000000+00:00",
    modified: "2026-03-14T03:00:00.000000+00:00",
    creator: { email: "someone@example.com", handle: "someone@example.com", name: "Someone" },
    overall_state: "No Data",
    multi: true,
    options: {
      notify_audit: false,
      silenced: {},
      new_host_delay: 300,
      ...options,
    },
  };
}

/** Starts the fake on 127.0.0.1 at a random free port, holding `seed` dashboards. */
export async function startFakeDatadog(seed: { dashboards?: readonly Json[] } = {}): Promise<FakeDatadog> {
  const requests: SeenRequest[] = [];
  const unexpected: SeenRequest[] = [];
  const dashboards = new Map<string, Json>();
  const monitors = new Map<number, Json>();
  let nextDashboard = 1;
  let nextMonitor = 5001;
  for (const d of seed.dashboards ?? []) {
    const id = `abc-def-00${nextDashboard++}`;
    dashboards.set(id, storeDashboard(id, d));
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const json = body !== "" ? (JSON.parse(body) as unknown) : undefined;
      const seen: SeenRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        ...(json !== undefined ? { json } : {}),
      };
      requests.push(seen);
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (!req.headers["dd-api-key"] || !req.headers["dd-application-key"]) {
        reply(403, { errors: ["Forbidden"] });
        return;
      }
      const m = seen.method;
      const p = seen.path;
      const dashboardId = /^\/api\/v1\/dashboard\/([\w-]+)$/.exec(p)?.[1];
      const monitorId = /^\/api\/v1\/monitor\/(\d+)$/.exec(p)?.[1];
      if (m === "GET" && p === "/api/v1/dashboard") {
        const start = Number(url.searchParams.get("start") ?? 0);
        const count = Number(url.searchParams.get("count") ?? 100);
        const all = [...dashboards.values()].map((d) => ({
          id: d.id,
          title: d.title,
          layout_type: d.layout_type,
          url: d.url,
          author_handle: d.author_handle,
          is_read_only: false,
        }));
        reply(200, { dashboards: all.slice(start, start + count) });
      } else if (m === "GET" && dashboardId && dashboards.has(dashboardId)) {
        reply(200, dashboards.get(dashboardId));
      } else if (m === "POST" && p === "/api/v1/dashboard") {
        const id = `ph-new-00${nextDashboard++}`;
        dashboards.set(id, storeDashboard(id, json as Json));
        reply(200, dashboards.get(id));
      } else if (m === "PUT" && dashboardId && dashboards.has(dashboardId)) {
        dashboards.set(dashboardId, storeDashboard(dashboardId, json as Json));
        reply(200, dashboards.get(dashboardId));
      } else if (m === "GET" && p === "/api/v1/monitor") {
        const name = (url.searchParams.get("name") ?? "").toLowerCase();
        const page = Number(url.searchParams.get("page") ?? 0);
        const size = Number(url.searchParams.get("page_size") ?? 100);
        const all = [...monitors.values()].filter((x) => String(x.name).toLowerCase().includes(name));
        reply(200, all.slice(page * size, page * size + size));
      } else if (m === "POST" && p === "/api/v1/monitor") {
        const id = nextMonitor++;
        monitors.set(id, storeMonitor(id, json as Json));
        reply(200, monitors.get(id));
      } else if (m === "PUT" && monitorId && monitors.has(Number(monitorId))) {
        const id = Number(monitorId);
        monitors.set(id, storeMonitor(id, json as Json, monitors.get(id)));
        reply(200, monitors.get(id));
      } else {
        unexpected.push(seen);
        reply(400, { errors: [`unexpected request ${m} ${req.url}`] });
      }
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [String(error)] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    dashboards,
    monitors,
    writes: () =>
      requests.filter((r) => r.method === "POST" || r.method === "PUT").map((r) => `${r.method} ${r.path}`),
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

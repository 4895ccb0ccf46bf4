import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Place, placeKey } from "../../../core/window/stack.ts";
import type { StandIn } from "./stand-in.ts";
import { accessKeyOf, accountOfAccessKey } from "./sts.ts";

/**
 * One endpoint for a service that answers per account and region, as AWS does: every request is
 * routed to the stand-in of its place, so a request signed for the wrong place gets that place's
 * answer (for CloudFormation, "Stack with id … does not exist"), never another place's stack.
 *
 * The place comes from the request as AWS reads it: the region from the SigV4 credential scope
 * (`Credential=<key>/<date>/<region>/<service>/aws4_request`, which the SDK signs with the client's
 * region), the account from the access key: a key the STS stand-in minted names its account
 * (`ASIA<account><4 hex>`, an assumed member read role); any other key is the home account's (the
 * function's own role). A place with no recording gets a stand-in over an empty account, started on
 * first use, which answers as the service does for stacks it does not have.
 */

/** The region a SigV4 `Authorization` header is scoped to. */
export function regionOfAuthorization(authorization: string | undefined): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([^/]+)\//.exec(authorization ?? "")?.[1];
}

export interface PlaceRouterOptions {
  /** The account of requests signed with a key the STS stand-in did not mint. */
  readonly homeAccount: string;
  /** The stand-in serving one place; called once per place (the router caches it; the caller closes it). */
  readonly standInAt: (place: Place) => Promise<StandIn>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/**
 * Starts the router on 127.0.0.1. Its own `calls` stay empty (the places' stand-ins count theirs);
 * a request whose place cannot be read (no SigV4 scope) is answered 400 and listed as unexpected.
 */
export async function startPlaceRouter(options: PlaceRouterOptions): Promise<StandIn> {
  const unexpected: string[] = [];
  const started = new Map<string, Promise<StandIn>>();
  const at = (place: Place): Promise<StandIn> => {
    const key = placeKey(place);
    let standIn = started.get(key);
    if (standIn === undefined) {
      standIn = options.standInAt(place);
      started.set(key, standIn);
    }
    return standIn;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const authorization = req.headers.authorization;
      const region = regionOfAuthorization(authorization);
      const key = accessKeyOf(authorization);
      if (region === undefined || key === undefined) {
        unexpected.push(
          `${req.method} ${req.url}: no SigV4 credential scope, so no account and region to route to`,
        );
        res.writeHead(400, { "content-type": "text/plain" }).end("missing SigV4 credential scope");
        return;
      }
      const place = { account: accountOfAccessKey(key) ?? options.homeAccount, region };
      const target = await at(place);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || name === "host" || name === "content-length" || name === "connection")
          continue;
        headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const answer = await fetch(`${target.url}${req.url ?? "/"}`, {
        method: req.method ?? "POST",
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const replyHeaders: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") {
          replyHeaders[name] = value;
        }
      });
      res.writeHead(answer.status, replyHeaders).end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => {
      unexpected.push(`router failure: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: new Map(),
    unexpected,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

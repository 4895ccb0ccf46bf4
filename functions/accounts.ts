import { CloudControlClient } from "@aws-sdk/client-cloudcontrol";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { Clock } from "../core/clock.ts";
import {
  createCachedDirectory,
  type DirectoryCacheStore,
  type DirectorySource,
} from "../core/drift/directory-cache.ts";
import type { DriftDetector, StackDirectory } from "../core/drift/ports.ts";
import type { LivePorts } from "../core/reactor/react.ts";
import type { TemplateSource } from "../core/template/ports.ts";
import type { Place, StackRef } from "../core/window/stack.ts";
import { placeKey } from "../core/window/stack.ts";
import {
  type AwsRetryOptions,
  awsRequestTimeout,
  awsRetry,
  observeThrottling,
  type Throttle,
} from "./adapters/aws-retry.ts";
import { createCloudControlLiveState } from "./adapters/cloudcontrol-live-state.ts";
import { createCloudFormationDirectory } from "./adapters/cloudformation-directory.ts";
import { createCloudFormationDriftDetector } from "./adapters/cloudformation-drift.ts";
import {
  type CloudFormationStacks,
  createCloudFormationStacks,
  createDeployedTemplateSource,
} from "./adapters/cloudformation-templates.ts";

/**
 * How the reactor reaches the accounts and regions it serves (issue 14, organisation scale). A place
 * is `(account, region)`. The home account is read with the function's own role; a member account
 * through its read role (`arn:aws:iam::<account>:role/<readRoleName>`), assumed with STS AssumeRole
 * (`fromTemporaryCredentials`). Credentials are cached per account (an IAM role is global, so one
 * session serves every region) until shortly before they expire, and the clients and ports per
 * place, so a burst of events costs one AssumeRole per account an hour, not one per call.
 */

export type { Place } from "../core/window/stack.ts";
export { placeKey } from "../core/window/stack.ts";

/** The accounts and regions the deployment serves (the env the SST app sets; README "Organisation"). */
export interface Reach {
  /** The reactor's own account (`PHANTOM_HOME_ACCOUNT`); unset outside a deployment. */
  readonly homeAccount?: string;
  /** The reactor's own region (the Lambda's `AWS_REGION`). */
  readonly homeRegion?: string;
  /**
   * Every account served, home included (`PHANTOM_ACCOUNTS`). Empty: the deployment did not say, so
   * every account counts as served and is read with the function's own role (one-account setups).
   */
  readonly accounts: readonly string[];
  /** Every region served, home included (`PHANTOM_REGIONS`); empty: the home region alone. */
  readonly regions: readonly string[];
  /** The read role's name in each member account (`PHANTOM_READ_ROLE`). */
  readonly readRoleName: string;
}

/** The read role's default name (the member template and the infra create it under this name). */
export const DEFAULT_READ_ROLE = "PhantomReadOnly";

/** Whether the deployment serves `account`: always when it named no accounts (one-account setups). */
export function serves(reach: Reach, account: string | undefined): boolean {
  if (reach.accounts.length === 0) return true;
  if (account === undefined) return true;
  return account === reach.homeAccount || reach.accounts.includes(account);
}

/** Whether `account` is read with the function's own role (the home account, or nothing configured). */
export function isHome(reach: Reach, account: string | undefined): boolean {
  return (
    account === undefined ||
    account === reach.homeAccount ||
    (reach.accounts.length === 0 && reach.homeAccount === undefined)
  );
}

/** The places the sweep walks: every served account × every served region (the home region alone when none is named). */
export function placesOf(reach: Reach): Place[] {
  const accounts = [...new Set([...(reach.homeAccount ? [reach.homeAccount] : []), ...reach.accounts])];
  const regions = [...new Set([...(reach.homeRegion ? [reach.homeRegion] : []), ...reach.regions])];
  return accounts.flatMap((account) => regions.map((region) => ({ account, region })));
}

/** The read role of a member account. */
export function readRoleArn(reach: Reach, account: string): string {
  return `arn:aws:iam::${account}:role/${reach.readRoleName}`;
}

/** An event or a sweep names an account the deployment does not serve. */
export class UnknownAccountError extends Error {
  override readonly name = "UnknownAccountError";
  constructor(readonly account: string) {
    super(
      `account ${account} is not one Phantom serves (PHANTOM_ACCOUNTS): add it to PHANTOM_DEPLOY_MEMBER_ACCOUNTS and roll out the member template there`,
    );
  }
}

/**
 * A member account's read role could not be assumed (the role is missing, its trust policy does not
 * admit the reactor, STS is unreachable). Whoever meets it records a skip naming the account and emits
 * `phantom.account.unreachable`; it is never a crash of the batch.
 */
export class AccountUnreachableError extends Error {
  override readonly name = "AccountUnreachableError";
  constructor(
    readonly account: string,
    readonly roleArn: string,
    /** STS's error code (`AccessDenied`, …), or the error's name. */
    readonly code: string,
    options: { cause: unknown },
  ) {
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot assume ${roleArn} to read account ${account}: ${code}: ${cause}`, options);
  }
}

/** The {@link AccountUnreachableError} behind `error` (itself or down its `cause` chain), if any. */
export function unreachableBehind(error: unknown): AccountUnreachableError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof AccountUnreachableError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const e = error as { Code?: unknown; code?: unknown; name?: unknown };
    for (const v of [e.Code, e.code, e.name]) if (typeof v === "string" && v !== "") return v;
  }
  return "Error";
}

/** Credentials as the SDK's providers return them. */
export type Credentials = Awaited<ReturnType<ReturnType<typeof fromTemporaryCredentials>>>;
/** A credentials provider any SDK client takes. */
export type CredentialProvider = () => Promise<Credentials>;

/** How long before its expiry a session is renewed (the SDK's own refresh window is 5 minutes). */
export const CREDENTIAL_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * One provider per account, shared by every client of every region: resolves once, keeps the
 * credentials until `marginMs` before their expiration (by `clock`), shares a resolution in flight,
 * and never caches a failure (the next call tries again). A failure becomes
 * {@link AccountUnreachableError}.
 */
export function cachedCredentials(options: {
  readonly account: string;
  readonly roleArn: string;
  readonly source: CredentialProvider;
  readonly clock: Clock;
  readonly marginMs?: number;
}): CredentialProvider {
  const margin = options.marginMs ?? CREDENTIAL_REFRESH_MARGIN_MS;
  let held: Credentials | undefined;
  let pending: Promise<Credentials> | undefined;
  const fresh = (c: Credentials) =>
    c.expiration === undefined || c.expiration.getTime() - margin > options.clock.now();
  return async () => {
    if (held && fresh(held)) return held;
    pending ??= options
      .source()
      .then((credentials) => {
        held = credentials;
        return credentials;
      })
      .catch((error: unknown) => {
        throw new AccountUnreachableError(options.account, options.roleArn, errorCode(error), {
          cause: error,
        });
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/**
 * How long a stack's resources stay cached: an hour, since the stack's own CloudFormation events
 * invalidate them sooner; "not stack-owned" a minute (an import may adopt the resource).
 */
const DIRECTORY_TTL_MS = 60 * 60_000;
const DIRECTORY_NEGATIVE_TTL_MS = 60_000;

/** The AWS-backed ports of one place. */
export interface PlacePorts {
  readonly place: Place;
  /** Read with the function's own role (no AssumeRole). */
  readonly home: boolean;
  /** Physical id ► owning stack (DescribeStackResources, cached per place; `invalidate` when shared). */
  readonly directory: StackDirectory & { invalidate?(stack: StackRef): Promise<number> };
  /** Targeted drift detection (DetectStackResourceDrift). */
  readonly drift: DriftDetector;
  /** Stack tags, deployed parameters and resources (DescribeStacks, ListStackResources). */
  readonly stacks: CloudFormationStacks;
  /** The deployed template (GetTemplate). */
  readonly deployed: TemplateSource;
  /** The live state where drift detection is blind (Cloud Control), with the stack's resources and parameters. */
  readonly live: LivePorts;
  /**
   * The place's clients: `cloudFormation` with the SDK's adaptive retries; `unretried` (one attempt)
   * for adapters that retry and count themselves (drift detection, the sweep's listing).
   */
  readonly clients: {
    readonly cloudFormation: CloudFormationClient;
    readonly unretried: CloudFormationClient;
    readonly cloudControl: CloudControlClient;
  };
  /** The place's credentials (a member's cached session); absent: the SDK's chain. */
  readonly credentials?: CredentialProvider;
}

/**
 * The AWS-backed ports over one set of credentials in one region (`region` unset: the SDK's default,
 * `credentials` unset: the SDK's chain). The runtime builds the home place's with it too.
 */
export function awsPorts(options: {
  readonly region?: string;
  /** The account the ports read (a member's place): its throttles are counted under it. */
  readonly account?: string;
  readonly credentials?: CredentialProvider | undefined;
  readonly clock: Clock;
  /** The retry policy (functions/adapters/aws-retry.ts) and where throttled attempts are counted. */
  readonly aws?: AwsClientPolicy;
}): Omit<PlacePorts, "place" | "home" | "directory"> & {
  readonly directory: StackDirectory & DirectorySource;
} {
  const { clock } = options;
  const base = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const retry = options.aws?.retry ?? {};
  const cloudFormation = new CloudFormationClient({ ...base, ...awsRetry(retry) });
  // Adapters that retry throttling themselves (counting calls) get a client that does not.
  const unretried = new CloudFormationClient({ ...base, maxAttempts: 1, ...awsRequestTimeout(retry) });
  // Live reads: the SDK retries throttling (standard mode, 3 attempts); a read that still fails is
  // reported, never thrown. A hung read handler gives up after 10 s a try (without
  // throwOnRequestTimeout the handler only logs a warning and keeps waiting).
  // `AWS_ENDPOINT_URL_CLOUDCONTROL` redirects it.
  const cloudControl = new CloudControlClient({
    ...base,
    ...awsRetry({ ...retry, maxAttempts: 3 }),
    ...awsRequestTimeout({ requestTimeoutMs: Math.min(10_000, retry.requestTimeoutMs ?? 10_000) }),
  });
  const counted = options.aws?.onThrottle;
  // A member place's throttles carry its account and region, so one throttled account stands out.
  const onThrottle =
    counted && options.account
      ? (throttle: Throttle) =>
          counted({
            ...throttle,
            account: options.account,
            ...(options.region ? { region: options.region } : {}),
          })
      : counted;
  if (onThrottle) {
    for (const client of [cloudFormation, unretried]) observeThrottling(client, "cloudformation", onThrottle);
    observeThrottling(cloudControl, "cloudcontrol", onThrottle);
  }
  const stacks = createCloudFormationStacks({ client: cloudFormation, clock });
  return {
    directory: createCloudFormationDirectory({
      client: cloudFormation,
      ttlMs: DIRECTORY_TTL_MS,
      negativeTtlMs: DIRECTORY_NEGATIVE_TTL_MS,
      clock,
    }),
    // It retries throttling itself (counting calls) with the same full-jitter policy and base.
    drift: createCloudFormationDriftDetector({
      client: unretried,
      ...(retry.throttlingBaseMs !== undefined ? { baseDelayMs: retry.throttlingBaseMs } : {}),
      ...(retry.maxDelayMs !== undefined ? { maxDelayMs: retry.maxDelayMs } : {}),
    }),
    stacks,
    deployed: createDeployedTemplateSource({ client: cloudFormation }),
    live: {
      state: createCloudControlLiveState({ client: cloudControl }),
      resources: (stack) => stacks.resourcesOf(stack),
      parameters: (stack) => stacks.parametersOf(stack),
    },
    clients: { cloudFormation, unretried, cloudControl },
  };
}

/** How every AWS client of a place retries, what counts its throttles, and the shared directory cache. */
export interface AwsClientPolicy {
  readonly retry?: AwsRetryOptions;
  readonly onThrottle?: (throttle: Throttle) => void;
  /** Physical id ► stack answers shared by every container (the windows table); none: memory only. */
  readonly directoryCache?: DirectoryCacheStore;
}

/** The places a runtime reaches. */
export interface Places {
  readonly reach: Reach;
  /** Whether an event's account is served (else it is ignored as `unknown-account`). */
  serves(account: string | undefined): boolean;
  /** The ports of a place (cached); throws {@link UnknownAccountError} for an account not served. */
  at(place: Place): PlacePorts;
  /**
   * Whether the place's account can be read now: the home account always; a member account when its
   * read role can be assumed (resolves the cached session). Never throws.
   */
  reachable(
    account: string,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: AccountUnreachableError }>;
}

/** What {@link createPlaces} takes. */
export interface PlacesOptions {
  readonly reach: Reach;
  readonly clock: Clock;
  /** The home account's credentials; default: the SDK's chain (the function's role). */
  readonly homeCredentials?: CredentialProvider;
  /**
   * A member account's session source; default: STS AssumeRole of its read role through
   * `fromTemporaryCredentials` (session `phantom-<account>`, one hour), in the home region
   * (`AWS_ENDPOINT_URL_STS` redirects it).
   */
  readonly assume?: (roleArn: string, account: string) => CredentialProvider;
  readonly refreshMarginMs?: number;
  readonly aws?: AwsClientPolicy;
}

/**
 * Builds the place registry: clients and ports per place, credentials per account, all cached. The
 * home account and every account of a one-account deployment use the default credentials; a member
 * account is read through its read role.
 */
export function createPlaces(options: PlacesOptions): Places {
  const { reach, clock } = options;
  const assume =
    options.assume ??
    ((roleArn: string, account: string) =>
      fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: `phantom-${account}`, DurationSeconds: 3600 },
        clientConfig: {
          ...(reach.homeRegion ? { region: reach.homeRegion } : {}),
          ...awsRequestTimeout(options.aws?.retry),
        },
      }));
  const sessions = new Map<string, CredentialProvider>();
  const ports = new Map<string, PlacePorts>();

  const credentialsOf = (account: string): CredentialProvider | undefined => {
    if (isHome(reach, account)) return options.homeCredentials;
    let session = sessions.get(account);
    if (session === undefined) {
      const roleArn = readRoleArn(reach, account);
      session = cachedCredentials({
        account,
        roleArn,
        source: assume(roleArn, account),
        clock,
        ...(options.refreshMarginMs !== undefined ? { marginMs: options.refreshMarginMs } : {}),
      });
      sessions.set(account, session);
    }
    return session;
  };

  const build = (place: Place): PlacePorts => {
    const aws = options.aws ?? {};
    const credentials = credentialsOf(place.account);
    const ports = awsPorts({ region: place.region, account: place.account, credentials, clock, aws });
    // Directory answers are shared through the table, keyed by place (core/drift/directory-cache.ts).
    const directory = aws.directoryCache
      ? createCachedDirectory({
          source: ports.directory,
          store: aws.directoryCache,
          clock,
          home: place,
          ttlMs: DIRECTORY_TTL_MS,
          negativeTtlMs: DIRECTORY_NEGATIVE_TTL_MS,
        })
      : ports.directory;
    return {
      place,
      home: isHome(reach, place.account),
      ...ports,
      directory,
      ...(credentials ? { credentials } : {}),
    };
  };

  return {
    reach,
    serves: (account) => serves(reach, account),
    at(place) {
      if (!serves(reach, place.account)) throw new UnknownAccountError(place.account);
      const key = placeKey(place);
      let found = ports.get(key);
      if (found === undefined) {
        found = build(place);
        ports.set(key, found);
      }
      return found;
    },
    async reachable(account) {
      if (!serves(reach, account)) {
        return {
          ok: false,
          error: new AccountUnreachableError(account, readRoleArn(reach, account), "UnknownAccount", {
            cause: new UnknownAccountError(account),
          }),
        };
      }
      const session = credentialsOf(account);
      if (session === undefined || isHome(reach, account)) return { ok: true };
      try {
        await session();
        return { ok: true };
      } catch (error) {
        if (error instanceof AccountUnreachableError) return { ok: false, error };
        return {
          ok: false,
          error: new AccountUnreachableError(account, readRoleArn(reach, account), errorCode(error), {
            cause: error,
          }),
        };
      }
    },
  };
}

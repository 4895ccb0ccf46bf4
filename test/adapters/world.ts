import { readFile } from "node:fs/promises";
import { CORPUS } from "../support/corpus.ts";

/**
 * One small AWS account, shared by the port contracts: the real adapters see it through the local
 * AWS server, the replay adapters through a recorded account directory written from it.
 *
 * Sources (fixtures/corpus/cfn-drift/, see its SOURCES.md): the workshop stacks' resources and drift
 * results are the cfn101-workshop outputs; `cfn-workshop-drift-detection-challenge` is the workshop's
 * DescribeStackResources output as recorded. The RDS pair (one physical id, two types, as in
 * cloudformation-coverage-roadmap#998) and the deleted stack are made up for the contract.
 */

export interface WorldResource {
  readonly StackName: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceStatus: string;
  readonly Timestamp: string;
}

export interface WorldStack {
  readonly StackResources: readonly WorldResource[];
  readonly Tags?: readonly { readonly Key: string; readonly Value: string }[];
}

export interface World {
  readonly stacks: Readonly<Record<string, WorldStack>>;
  /** `<Stack>/<LogicalId>` ► DetectStackResourceDrift output. */
  readonly drift: Readonly<Record<string, { readonly StackResourceDrift: Record<string, unknown> }>>;
}

const corpus = new URL("cfn-drift/", CORPUS);

async function readCorpus<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(new URL(name, corpus), "utf8")) as T;
}

export const WORKSHOP = "cfn-workshop-drift-detection";
export const CHALLENGE = "cfn-workshop-drift-detection-challenge";
export const DATABASE = "orders-db";
export const DELETED = "retired-stack";

export const QUEUE_URL =
  "https://sqs.us-east-1.amazonaws.com/123456789012/cfn-workshop-drift-detection-Queue1-LhZ9kuNmNV62";
export const TABLE_NAME = "cfn-workshop-drift-detection-Table1-173M9QVM1EZKE";

function resource(
  stack: string,
  logicalId: string,
  physicalId: string,
  type: string,
  status = "CREATE_COMPLETE",
): WorldResource {
  return {
    StackName: stack,
    StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${stack}/83fd7940-f945-11ed-ab77-12daf0c351ad`,
    LogicalResourceId: logicalId,
    PhysicalResourceId: physicalId,
    ResourceType: type,
    ResourceStatus: status,
    Timestamp: "2023-05-23T08:30:00.000Z",
  };
}

export async function loadWorld(): Promise<World> {
  const drifts = await readCorpus<{ StackResourceDrifts: Record<string, unknown>[] }>(
    "cfn101-workshop__describe-stack-resource-drifts_1.json",
  );
  const challenge = await readCorpus<WorldStack>("cfn101-workshop__describe-stack-resource-drifts_4.json");
  const drift: Record<string, { StackResourceDrift: Record<string, unknown> }> = {};
  for (const d of drifts.StackResourceDrifts)
    drift[`${WORKSHOP}/${String(d.LogicalResourceId)}`] = { StackResourceDrift: d };

  return {
    stacks: {
      [WORKSHOP]: {
        StackResources: [
          resource(WORKSHOP, "Queue1", QUEUE_URL, "AWS::SQS::Queue"),
          resource(WORKSHOP, "Table1", TABLE_NAME, "AWS::DynamoDB::Table"),
        ],
        Tags: [{ Key: "Environment", Value: "prod" }],
      },
      [CHALLENGE]: challenge,
      [DATABASE]: {
        StackResources: [
          resource(DATABASE, "Cluster", "orders", "AWS::RDS::DBCluster"),
          resource(DATABASE, "Instance", "orders", "AWS::RDS::DBInstance"),
        ],
      },
      [DELETED]: {
        StackResources: [resource(DELETED, "Bucket", "retired-bucket", "AWS::S3::Bucket", "DELETE_COMPLETE")],
      },
    },
    drift,
  };
}

/** The stack that lists this physical id, as DescribeStackResources({PhysicalResourceId}) finds it. */
export function stackOwning(world: World, physicalId: string): WorldStack | undefined {
  return Object.values(world.stacks).find((s) =>
    s.StackResources.some((r) => r.PhysicalResourceId === physicalId),
  );
}

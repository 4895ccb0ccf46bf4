import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import {
  type AwsServer,
  clientConfig,
  queryErrorReply,
  queryReply,
  startAwsServer,
} from "../support/aws-server.ts";
import { stackOwning, type World } from "./world.ts";

/** A CloudFormation client pointed at the test server (no SDK retries: see `clientConfig`). */
export function cloudFormationClient(server: AwsServer): CloudFormationClient {
  return new CloudFormationClient(clientConfig(server));
}

/** Answers DescribeStackResources({PhysicalResourceId}) from the world, as CloudFormation would. */
export function serveStackResources(server: AwsServer, world: World): void {
  server.expect({
    action: "DescribeStackResources",
    times: Number.POSITIVE_INFINITY,
    reply: (request) => {
      const id = request.params.get("PhysicalResourceId") ?? "";
      const stack = stackOwning(world, id);
      return stack
        ? queryReply("DescribeStackResources", { StackResources: stack.StackResources })
        : queryErrorReply({ code: "ValidationError", message: `Stack for ${id} does not exist` });
    },
  });
}

/** Answers DetectStackResourceDrift from the world's recorded drift results. */
export function serveDrift(server: AwsServer, world: World): void {
  server.expect({
    action: "DetectStackResourceDrift",
    times: Number.POSITIVE_INFINITY,
    reply: (request) => {
      const stack = request.params.get("StackName") ?? "";
      const logicalId = request.params.get("LogicalResourceId") ?? "";
      const recorded = world.drift[`${stack}/${logicalId}`];
      return recorded
        ? queryReply("DetectStackResourceDrift", recorded)
        : queryErrorReply({
            code: "ValidationError",
            message: `Resource ${logicalId} does not exist for stack ${stack}`,
          });
    },
  });
}

/** A fresh server and client; `done` verifies the server saw only expected requests and shuts both. */
export async function cloudFormationHarness() {
  const server = await startAwsServer();
  const client = cloudFormationClient(server);
  return {
    server,
    client,
    async done() {
      client.destroy();
      await server.close();
      server.verify();
    },
  };
}

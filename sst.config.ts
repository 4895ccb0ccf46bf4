/// <reference path="./.sst/platform/config.d.ts" />

// Phantom's AWS app (SST v4). The EventBridge rules on the default bus are generated from the
// write-API catalog (the same function `phantom pattern` prints) and deliver into the `changes`
// queue ► on-change; settle reminders go through the `settle` queue ► on-settle; window state lives
// in one DynamoDB table with TTL. (Secrets, Bedrock, the weekly sweep and Datadog follow.)
export default $config({
  app(input) {
    return {
      name: "phantom",
      removal: input?.stage === "production" ? "retain" : "remove",
      home: "aws",
    };
  },
  async run() {
    const { eventPatterns } = await import("./core/pattern/generate.ts");
    const { WINDOW_TABLE } = await import("./functions/adapters/dynamo-window-store.ts");
    const identity = aws.getCallerIdentityOutput();
    const region = aws.getRegionOutput().region;
    const defaultBus = $interpolate`arn:aws:events:${region}:${identity.accountId}:event-bus/default`;

    const windows = new sst.aws.Dynamo("Windows", WINDOW_TABLE.sst);

    // Function timeouts are 60 s; SQS visibility must be at least 6x that.
    const changesDlq = new sst.aws.Queue("ChangesDlq");
    const changes = new sst.aws.Queue("Changes", {
      visibilityTimeout: "6 minutes",
      dlq: { queue: changesDlq.arn, retry: 5 },
    });
    const settleDlq = new sst.aws.Queue("SettleDlq");
    const settleQueue = new sst.aws.Queue("Settle", {
      visibilityTimeout: "6 minutes",
      dlq: { queue: settleDlq.arn, retry: 5 },
    });

    const environment = {
      PHANTOM_WINDOWS_TABLE: windows.name,
      PHANTOM_SETTLE_QUEUE_URL: settleQueue.url,
    };
    const cloudFormationRead = {
      actions: [
        "cloudformation:DescribeStackResources",
        "cloudformation:ListStackResources",
        "cloudformation:DescribeStacks",
      ],
      resources: ["*"],
    };

    changes.subscribe(
      {
        handler: "functions/on-change.handler",
        timeout: "60 seconds",
        environment,
        link: [windows, settleQueue],
        permissions: [cloudFormationRead],
      },
      { batch: { size: 10, window: "5 seconds", partialResponses: true } },
    );
    settleQueue.subscribe(
      {
        handler: "functions/on-settle.handler",
        timeout: "60 seconds",
        environment,
        link: [windows, settleQueue],
        permissions: [
          cloudFormationRead,
          {
            actions: [
              "cloudformation:DetectStackResourceDrift",
              "cloudformation:BatchDescribeTypeConfigurations",
            ],
            resources: ["*"],
          },
        ],
        // Drift detection reads every checked resource with the caller's permissions.
        policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      },
      { batch: { size: 1, partialResponses: true } },
    );

    for (const [i, pattern] of eventPatterns().entries()) {
      // SST keeps only source/detailType/detail of a pattern; ours may use a top-level `$or`
      // (one branch per service), so the rule gets the generated pattern verbatim.
      sst.aws.Bus.subscribeQueue(`CloudTrailWrites${i + 1}`, defaultBus, changes, {
        transform: {
          rule: (args) => {
            args.eventPattern = JSON.stringify(pattern);
          },
        },
      });
    }
    return { changesQueue: changes.url, settleQueue: settleQueue.url, windowsTable: windows.name };
  },
});

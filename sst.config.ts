/// <reference path="./.sst/platform/config.d.ts" />

// Phantom's AWS app (SST v4). Minimal for now: the EventBridge rules on the default bus, generated
// from the write-API catalog (the same function `phantom pattern` prints), deliver into the `changes`
// queue with a dead-letter queue. The handlers, windows table, settle queue and sweep follow.
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
    const identity = aws.getCallerIdentityOutput();
    const region = aws.getRegionOutput().region;
    const defaultBus = $interpolate`arn:aws:events:${region}:${identity.accountId}:event-bus/default`;

    const deadLetters = new sst.aws.Queue("ChangesDlq");
    const changes = new sst.aws.Queue("Changes", {
      visibilityTimeout: "6 minutes",
      dlq: { queue: deadLetters.arn, retry: 5 },
    });
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
    return { changesQueue: changes.url };
  },
});

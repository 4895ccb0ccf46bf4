/// <reference path="./.sst/platform/config.d.ts" />

// Phantom's AWS app (SST v4). Everything is declared in functions/infra/app.ts (`defineApp`), which
// builds through the globals passed here; test/infra/app.test.ts runs the same function against
// recording stand-ins. Deploy options come from `PHANTOM_DEPLOY_*` (README "In AWS"); `phantom.yaml`
// (or `PHANTOM_CONFIG`), when present, is validated here and shipped with the functions.
export default $config({
  app(input) {
    const home = process.env.PHANTOM_DEPLOY_HOME_REGION;
    return {
      name: "phantom",
      removal: input?.stage === "production" ? "retain" : "remove",
      home: "aws",
      // Pinned so `sst install` (and the infra typecheck) resolve the same provider every time.
      providers: { aws: { version: "7.20.0", ...(home ? { region: home as aws.Region } : {}) } },
    };
  },
  async run() {
    const { defineApp } = await import("./functions/infra/app.ts");
    const { readAppOptions } = await import("./functions/infra/options.ts");
    // Throws before anything is deployed when an option or the shipped phantom.yaml is invalid.
    return defineApp({ sst, aws, $interpolate }, readAppOptions(process.env));
  },
});

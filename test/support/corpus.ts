/**
 * Real third-party data the tests read: CloudTrail records, EventBridge envelopes, CloudFormation
 * templates, drift outputs and Datadog responses, copied into `fixtures/corpus/` (each file's source
 * repository, path, commit and license in its SOURCES.md and MANIFEST.json). Sub-paths are the
 * corpus's own: `cloudtrail/events/`, `cloudtrail/eventbridge/`, `cfn-templates/`, `cfn-drift/`,
 * `datadog/responses/`, and the whole real trails (`realworld/`: trail log files, detonation logs, a
 * logstash export) and 60 real-world templates (`cfn-templates-realworld/`) issue 13 is tested on.
 */
export const CORPUS = new URL("../../fixtures/corpus/", import.meta.url);

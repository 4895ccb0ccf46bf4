import { Document, isMap, isPair, isScalar, isSeq, visit } from "yaml";
import { type CfnTemplate, memberTemplate } from "../infra/member-template.ts";
import type { Output } from "./output.ts";

/**
 * `phantom org template [--json]`: the CloudFormation template a StackSet deploys to every member
 * account and region (functions/infra/member-template.ts): the forwarding rules, the role EventBridge
 * forwards with, and the read role the reactor assumes.
 */
export interface OrgTemplateOptions {
  readonly json: boolean;
}

/**
 * CloudFormation takes at most 51,200 bytes as `--template-body`: JSON comes on one line, and YAML
 * writes event patterns and action lists in flow style, so either fits.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const TEMPLATE_BODY_LIMIT = 51_200;

const FLOW_KEYS = new Set(["EventPattern", "Action"]);

/** The template as YAML: block style for the structure, flow style for patterns and action lists. */
export function templateYaml(template: CfnTemplate): string {
  const doc = new Document(template);
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && FLOW_KEYS.has(String(pair.key.value))) {
        if (isMap(pair.value) || isSeq(pair.value)) pair.value.flow = true;
      }
      return undefined;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function runOrgTemplate(opts: OrgTemplateOptions, io: Output): void {
  const template = memberTemplate();
  io.out(opts.json ? `${JSON.stringify(template)}\n` : templateYaml(template));
}

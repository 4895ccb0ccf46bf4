import { describe, expect, it } from "vitest";
import { rectify } from "../../core/rectify/rectify.ts";
import type { RectifyChange, RectifyInput, RectifyResult } from "../../core/rectify/types.ts";

/**
 * A secret is never written into a template (or a parameter file) that goes to Git (issue 15): a
 * legitimize or refactor whose value holds one becomes a manual item that names the property and
 * says how to set it safely, without the value.
 */

const PASSWORD = "Zq8-vLm2Rt9xWp4K";

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  DbPassword:
    Type: String
    NoEcho: true
    Default: placeholder-only
Resources:
  OrdersDb:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceClass: db.t3.small
      MasterUsername: orders
      MasterUserPassword: !Ref DbPassword
      Tags:
        - Key: team
          Value: payments
        - Key: db_pwd
          Value: old-value
  Edge:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Origins:
          - Id: api
            DomainName: api.example.com
            OriginCustomHeaders:
              - HeaderName: X-Origin-Verify
                HeaderValue: old-header
  Api:
    Type: AWS::Lambda::Function
    Properties:
      Description: orders api
      Runtime: nodejs20.x
`;

function ok(input: RectifyInput): RectifyResult {
  const outcome = rectify(input);
  if (!outcome.ok) throw new Error(`rectify failed: ${JSON.stringify(outcome.issues, null, 2)}`);
  return outcome.result;
}

function change(
  fields: Partial<RectifyChange> & Pick<RectifyChange, "logicalId" | "propertyPath">,
): RectifyChange {
  return { differenceType: "NOT_EQUAL", expected: null, actual: PASSWORD, decision: "legitimize", ...fields };
}

/** Every text the rectification produced: the template, the parameter file and the manual items. */
function everything(result: RectifyResult): string {
  return [result.text, result.parameters ?? "", ...result.manual.map((m) => m.message)].join("\n");
}

describe("rectify never writes a secret", () => {
  it.each([
    [
      "a password behind !Ref (the parameter file)",
      change({ logicalId: "OrdersDb", propertyPath: "/MasterUserPassword" }),
    ],
    [
      "a db_pwd tag's value",
      change({
        logicalId: "OrdersDb",
        propertyPath: "/Tags/1/Value",
        expected: "old-value",
        actualProperties: {
          Tags: [
            { Key: "team", Value: "payments" },
            { Key: "db_pwd", Value: PASSWORD },
          ],
        },
      }),
    ],
    [
      "a custom origin header's value",
      change({
        logicalId: "Edge",
        propertyPath: "/DistributionConfig/Origins/0/OriginCustomHeaders/0/HeaderValue",
        expected: "old-header",
      }),
    ],
    [
      "a connection URL with credentials in a description",
      change({
        logicalId: "Api",
        propertyPath: "/Description",
        expected: "orders api",
        actual: `orders api, db postgres://orders:${PASSWORD}@db.internal/orders`,
      }),
    ],
    [
      "a new environment variable (an undeclared property added)",
      change({
        logicalId: "Api",
        propertyPath: "/Environment",
        differenceType: "ADD",
        actual: { Variables: { MYSQL_PWD: PASSWORD } },
      }),
    ],
  ])("keeps %s out, as a manual item naming the property", (_name, c) => {
    const result = ok({
      template: { text: TEMPLATE },
      parameters: {
        text: '[{"ParameterKey": "DbPassword", "ParameterValue": "x"}]',
        path: "params/prod.json",
      },
      changes: [c],
    });

    expect(everything(result)).not.toContain(PASSWORD);
    expect(result.text).toBe(TEMPLATE);
    expect(result.parameters).toBeUndefined();
    expect(result.applied).toEqual([]);
    expect(result.manual).toHaveLength(1);
    const message = result.manual[0]?.message ?? "";
    expect(message).toContain(`${c.logicalId} ${c.propertyPath}: the value holds a secret`);
    expect(message).toContain("NoEcho parameter");
    expect(message).toContain("{{resolve:secretsmanager:");
  });

  it("never writes a redacted value a refactor proposes (an analyzer that saw only [redacted])", () => {
    const result = ok({
      template: { text: TEMPLATE },
      changes: [
        change({
          logicalId: "OrdersDb",
          propertyPath: "/Tags/1/Value",
          decision: "refactor",
          proposed: "[redacted]",
        }),
      ],
    });

    expect(result.text).toBe(TEMPLATE);
    expect(result.manual.map((m) => m.message).join("\n")).toContain("holds a secret");
  });

  it("still writes the window's other changes, and an ordinary tag", () => {
    const result = ok({
      template: { text: TEMPLATE },
      changes: [
        change({ logicalId: "OrdersDb", propertyPath: "/MasterUserPassword" }),
        change({ logicalId: "Api", propertyPath: "/Runtime", expected: "nodejs20.x", actual: "nodejs22.x" }),
        change({
          logicalId: "OrdersDb",
          propertyPath: "/Tags/0/Value",
          expected: "payments",
          actual: "orders",
          actualProperties: {
            Tags: [
              { Key: "team", Value: "orders" },
              { Key: "db_pwd", Value: PASSWORD },
            ],
          },
        }),
      ],
    });

    expect(result.text).toContain("Runtime: nodejs22.x");
    expect(result.text).toContain("Value: orders");
    expect(everything(result)).not.toContain(PASSWORD);
    expect(result.manual.map((m) => m.index)).toEqual([0]);
  });
});

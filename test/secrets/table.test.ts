import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, redact, redactAt, redactText } from "../../core/analysis/redact.ts";
import { redactString } from "../../core/secrets.ts";
import { shapedSecret } from "./planted.ts";

/**
 * The one secrets table (core/secrets.ts), shape by shape: each shape issue 15 found leaking, and the
 * references and settings that must stay readable. Every value below is made up.
 */

const PASSWORD = "Zq8-vLm2Rt9xWp4K";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** The JSON text of a redacted value, for "the secret is nowhere in it" checks. */
const text = (value: unknown) => JSON.stringify(value);

describe("by the sibling name key", () => {
  it("redacts a CloudFront OriginCustomHeaders value whatever the header is called", () => {
    const origin = {
      DomainName: "origin.example.com",
      OriginCustomHeaders: [{ HeaderName: "X-Origin-Verify", HeaderValue: PASSWORD }],
    };
    expect(redact(origin)).toEqual({
      DomainName: "origin.example.com",
      OriginCustomHeaders: [{ HeaderName: "X-Origin-Verify", HeaderValue: REDACTED }],
    });
    expect(redactAt("/Origins/0/OriginCustomHeaders/0", origin.OriginCustomHeaders[0])).toEqual({
      HeaderName: "X-Origin-Verify",
      HeaderValue: REDACTED,
    });
  });

  it("redacts an ECS container's {Name: MYSQL_PWD, Value} and keeps an ordinary variable", () => {
    const environment = [
      { Name: "MYSQL_PWD", Value: PASSWORD },
      { Name: "LOG_LEVEL", Value: "debug" },
    ];
    expect(redact({ ContainerDefinitions: [{ Environment: environment }] })).toEqual({
      ContainerDefinitions: [
        {
          Environment: [
            { Name: "MYSQL_PWD", Value: REDACTED },
            { Name: "LOG_LEVEL", Value: "debug" },
          ],
        },
      ],
    });
  });

  it("redacts a db_pwd tag by its key, as a whole tag and at its /Value path", () => {
    const tags = [
      { Key: "team", Value: "payments" },
      { Key: "db_pwd", Value: PASSWORD },
    ];
    expect(redact({ Tags: tags })).toEqual({
      Tags: [
        { Key: "team", Value: "payments" },
        { Key: "db_pwd", Value: REDACTED },
      ],
    });
    expect(redactAt("/Tags/1/Value", PASSWORD, [{ Tags: tags }])).toBe(REDACTED);
    expect(redactAt("/Tags/0/Value", "payments", [{ Tags: tags }])).toBe("payments");
  });

  it("redacts an SSM parameter's /Value by its Name or its SecureString type, not an ordinary one", () => {
    const secret = { Name: "/prod/db/password", Type: "String", Value: PASSWORD };
    const secure = { Name: "/prod/app/signing", Type: "SecureString", Value: PASSWORD };
    const plain = { Name: "/prod/app/log-level", Type: "String", Value: "debug" };
    expect(redactAt("/Value", PASSWORD, [secret])).toBe(REDACTED);
    expect(redactAt("/Value", PASSWORD, [secure])).toBe(REDACTED);
    expect(redactAt("/Value", "debug", [plain])).toBe("debug");
    // The PutParameter request, lower camel case as CloudTrail records it.
    expect(redact({ name: "/prod/db/password", value: PASSWORD, overwrite: true })).toEqual({
      name: "/prod/db/password",
      value: REDACTED,
      overwrite: true,
    });
  });

  it("redacts a /Value whose pair it cannot see: a value in doubt", () => {
    expect(redactAt("/Value", PASSWORD)).toBe(REDACTED);
    expect(redactAt("/Tags/3/Value", PASSWORD)).toBe(REDACTED);
  });

  it("redacts a {ParameterKey, ParameterValue} pair named as a secret", () => {
    expect(
      redact([
        { ParameterKey: "DbPassword", ParameterValue: PASSWORD },
        { ParameterKey: "InstanceType", ParameterValue: "t3.small" },
      ]),
    ).toEqual([
      { ParameterKey: "DbPassword", ParameterValue: REDACTED },
      { ParameterKey: "InstanceType", ParameterValue: "t3.small" },
    ]);
  });
});

describe("by its own key, in any case", () => {
  it.each(["db_pwd", "DB_PWD", "MYSQL_PWD", "db_pass", "mysqlPass", "RedisAuthToken", "client-secret"])(
    "redacts %s",
    (key) => {
      expect(redact({ [key]: PASSWORD })).toEqual({ [key]: REDACTED });
    },
  );

  it("redacts every item of a secret-named list (ElastiCache user Passwords)", () => {
    expect(redact({ Passwords: [PASSWORD, "second-one-x9"] })).toEqual({ Passwords: [REDACTED, REDACTED] });
  });

  it.each([
    ["SecretArn", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"],
    ["PasswordPolicy", "strict"],
    ["MinimumPasswordLength", 14],
    ["HttpTokens", "required"],
    ["ServiceToken", "arn:aws:lambda:us-east-1:111122223333:function:custom"],
    ["TokenValidityUnits", "hours"],
    ["Passthrough", "WHEN_NO_MATCH"],
    ["PassthroughBehavior", "WHEN_NO_MATCH"],
  ])("keeps the reference or setting %s", (key, value) => {
    expect(redact({ [key]: value })).toEqual({ [key]: value });
  });

  it("keeps a secret's ARN under a secret-named object (RDS MasterUserSecret)", () => {
    const value = { MasterUserSecret: { SecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf" } };
    expect(redact(value)).toEqual(value);
  });
});

describe("by its shape inside a string: only the secret part where that is clear", () => {
  it("redacts an Authorization: Bearer credential and keeps the header and scheme", () => {
    const out = redact({
      Description: `curl -H 'Authorization: Bearer ${PASSWORD}' https://api.example.com`,
    });
    expect(text(out)).not.toContain(PASSWORD);
    expect(text(out)).toContain(`Authorization: Bearer ${REDACTED}`);
  });

  it("redacts Basic credentials", () => {
    const token = b64(`deploy:${PASSWORD}`);
    const out = redact({ Note: `proxy uses Basic ${token} today` });
    expect(text(out)).not.toContain(token);
    expect(text(out)).toContain(`Basic ${REDACTED}`);
  });

  it("redacts password= and pwd= in a query string and a connection string, keeping the host", () => {
    const query = redact(`https://reports.example.com/export?user=ops&password=${PASSWORD}&fmt=csv`);
    expect(query).toBe(`https://reports.example.com/export?user=ops&password=${REDACTED}&fmt=csv`);
    const ado = redact(`Server=db.internal;Database=orders;User Id=app;Pwd=${PASSWORD};`);
    expect(ado).toBe(`Server=db.internal;Database=orders;User Id=app;Pwd=${REDACTED};`);
  });

  it("redacts the credentials of a URL and keeps its host", () => {
    expect(redact(`postgres://orders:${PASSWORD}@orders-db.internal:5432/orders`)).toBe(
      `postgres://${REDACTED}@orders-db.internal:5432/orders`,
    );
  });

  it("redacts a PGP private key block whole, and an OpenSSH one", () => {
    const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF${PASSWORD}AQgAx\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----`;
    const out = redact({ Description: `key: ${pgp} (rotate yearly)` });
    expect(text(out)).not.toContain(PASSWORD);
    expect(text(out)).not.toContain("PGP PRIVATE KEY BLOCK");
    expect(text(out)).toContain("(rotate yearly)");
    const ssh = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1${PASSWORD}\n-----END OPENSSH PRIVATE KEY-----`;
    expect(text(redact(ssh))).not.toContain(PASSWORD);
  });

  it("redacts AWS access key ids and secret access keys", () => {
    const secretKey = "Kq7Zp2Xw9Lm4Rt8Vn3Bc6Yd1Hs5Jf0Ga2Ue7Wi4O";
    const out = redact(`aws configure set aws_access_key_id AKIAQWERTYUIOPASDFGH; key ${secretKey}`);
    expect(out).not.toContain("AKIAQWERTYUIOPASDFGH");
    expect(out).not.toContain(secretKey);
  });

  it("keeps a secret's ARN and a dynamic reference readable", () => {
    for (const value of [
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:orders-db-AbCdEf",
      "{{resolve:secretsmanager:orders-db:SecretString:password}}",
      "{{resolve:ssm-secure:/prod/db/password}}",
      "git commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    ]) {
      expect(redact({ Description: value })).toEqual({ Description: value });
    }
  });
});

describe("inside base64 UserData", () => {
  const script = `#!/bin/bash\nexport DB_HOST=orders-db.internal\nexport DB_PASSWORD=${PASSWORD}\n./start.sh\n`;

  it("decodes an instance's UserData and redacts it whole when anything inside is secret", () => {
    expect(redact({ UserData: b64(script) })).toEqual({ UserData: REDACTED });
    expect(redactAt("/UserData", b64(script))).toBe(REDACTED);
  });

  it("decodes a launch template's UserData, gzip too", () => {
    const gz = gzipSync(Buffer.from(script)).toString("base64");
    expect(redact({ LaunchTemplateData: { UserData: gz, InstanceType: "t3.small" } })).toEqual({
      LaunchTemplateData: { UserData: REDACTED, InstanceType: "t3.small" },
    });
  });

  it("finds a command-line password in a script", () => {
    const cli = b64(`#!/bin/sh\nmysql -u admin --password ${PASSWORD} -e 'select 1'\n`);
    expect(redact({ UserData: cli })).toEqual({ UserData: REDACTED });
  });

  it("finds base64 holding a secret anywhere, not only under UserData", () => {
    expect(redact({ Metadata: { bootstrap: b64(script) } })).toEqual({ Metadata: { bootstrap: REDACTED } });
  });

  it("keeps UserData with nothing secret inside", () => {
    const clean = b64("#!/bin/bash\nyum install -y nginx\nsystemctl start nginx\n");
    expect(redact({ UserData: clean })).toEqual({ UserData: clean });
  });
});

describe("in template text", () => {
  it("redacts the Value of a secret-named tag and a custom header's value", () => {
    const template = [
      "      Tags:",
      "        - Key: team",
      "          Value: payments",
      "        - Key: db_pwd",
      `          Value: ${PASSWORD}`,
      "      OriginCustomHeaders:",
      "        - HeaderName: X-Origin-Verify",
      `          HeaderValue: ${PASSWORD}`,
    ].join("\n");
    const out = redactText(template);
    expect(out).not.toContain(PASSWORD);
    expect(out).toContain("Value: payments");
  });

  it("redacts a PGP private key block's every line", () => {
    const template = [
      "      Default: |",
      "        -----BEGIN PGP PRIVATE KEY BLOCK-----",
      `        lQOYBF${PASSWORD}`,
      "        -----END PGP PRIVATE KEY BLOCK-----",
    ].join("\n");
    expect(redactText(template)).not.toContain(PASSWORD);
  });
});

describe("any text", () => {
  it("redacts every planted shape wherever it sits in a string, idempotently", () => {
    const filler = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(filler, shapedSecret, filler, (before, shape, after) => {
        const once = redactString(`${before} ${shape.text} ${after}`);
        for (const secret of shape.secrets) expect(once).not.toContain(secret);
        expect(redactString(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

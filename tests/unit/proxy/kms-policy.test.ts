import { isAllowed, parseKeyPolicy } from "../../../local/aws/kms-policy";

const PCR0 = "ab".repeat(48);

function policy(statements: unknown[]): ReturnType<typeof parseKeyPolicy> {
  return parseKeyPolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }));
}

const allowAll = { Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*" };

describe("KMS stand-in key policy", () => {
  it("applies a Deny written with NotAction, instead of skipping it", () => {
    // Prepare: everything but Encrypt is denied unless the recipient runs the approved image
    const denyOthers = {
      Effect: "Deny",
      Principal: { AWS: "*" },
      NotAction: ["kms:Encrypt", "kms:CreateKey"],
      Resource: "*",
      Condition: { StringNotEquals: { "kms:RecipientAttestation:PCR0": PCR0 } },
    };
    const keyPolicy = policy([allowAll, denyOthers]);

    // Act
    const decryptWithoutRecipient = isAllowed(keyPolicy, "kms:Decrypt", {});
    const encrypt = isAllowed(keyPolicy, "kms:Encrypt", {});

    // Assess: the unsupported StringNotEquals counts as holding for a Deny (fail closed)
    expect(decryptWithoutRecipient).toBe(false);
    expect(encrypt).toBe(true);
  });

  it("lets an Allow with NotAction cover only the actions it does not list", () => {
    // Prepare
    const keyPolicy = policy([{ Effect: "Allow", Principal: { AWS: "*" }, NotAction: "kms:Decrypt", Resource: "*" }]);

    // Act / Assess
    expect(isAllowed(keyPolicy, "kms:Decrypt", {})).toBe(false);
    expect(isAllowed(keyPolicy, "kms:GenerateDataKey", {})).toBe(true);
  });

  it("treats a Deny without Action or NotAction as applying, and such an Allow as not", () => {
    // Prepare
    const deny = policy([allowAll, { Effect: "Deny", Principal: { AWS: "*" }, Resource: "*" }]);
    const allow = policy([{ Effect: "Allow", Principal: { AWS: "*" }, Resource: "*" }]);

    // Act / Assess
    expect(isAllowed(deny, "kms:Decrypt", {})).toBe(false);
    expect(isAllowed(allow, "kms:Decrypt", {})).toBe(false);
  });
});

import { signingRegion, sigV4Signer } from "../../../client/operator";

/** AWS's Signature Version 4 test suite, "get-vanilla" (credentials, time and scope as published). */
const SUITE = {
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  region: "us-east-1",
  service: "service",
  now: () => new Date("2015-08-30T12:36:00Z"),
};

describe("sigV4Signer", () => {
  it("signs AWS's get-vanilla request as the test suite publishes", async () => {
    const sign = sigV4Signer(SUITE);
    const headers = await sign({ method: "GET", url: new URL("https://example.amazonaws.com/"), headers: {} });
    expect(headers["x-amz-date"]).toBe("20150830T123600Z");
    expect(headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
  });

  it("signs the query sorted, as get-vanilla-query-order-key-case publishes", async () => {
    const sign = sigV4Signer(SUITE);
    const headers = await sign({
      method: "GET",
      url: new URL("https://example.amazonaws.com/?Param2=value2&Param1=value1"),
      headers: {},
    });
    expect(headers.authorization).toMatch(
      /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/,
    );
  });

  it("carries a session token, and signs for API Gateway by default", async () => {
    const sign = sigV4Signer({
      region: "eu-central-1",
      credentials: { ...SUITE.credentials, sessionToken: "token-1" },
      now: SUITE.now,
    });
    const headers = await sign({
      method: "POST",
      url: new URL("https://abc123.execute-api.eu-central-1.amazonaws.com/v1/invitations"),
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(headers["x-amz-security-token"]).toBe("token-1");
    expect(headers.authorization).toContain("/20150830/eu-central-1/execute-api/aws4_request");
    expect(headers.authorization).toContain("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token");
    expect(headers.host).toBeUndefined();
  });

  it("fails UNAUTHENTICATED with one clear line when no credentials can be found", async () => {
    const sign = sigV4Signer({
      region: "eu-central-1",
      credentials: async () => {
        throw new Error("Could not load credentials from any providers");
      },
    });
    await expect(sign({ method: "GET", url: new URL("https://example.com/"), headers: {} })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("Could not load credentials"),
    });
  });
});

describe("signingRegion", () => {
  it("takes --region first, then an execute-api URL's region, then the environment", () => {
    const api = new URL("https://abc123.execute-api.eu-west-3.amazonaws.com/");
    expect(signingRegion(api, { AWS_REGION: "us-east-1" }, "ap-south-1")).toBe("ap-south-1");
    expect(signingRegion(api, { AWS_REGION: "us-east-1" })).toBe("eu-west-3");
    expect(signingRegion(new URL("https://api.vettid.example/"), { AWS_REGION: "us-east-1" })).toBe("us-east-1");
    expect(signingRegion(new URL("https://api.vettid.example/"), { AWS_DEFAULT_REGION: "eu-north-1" })).toBe(
      "eu-north-1",
    );
    expect(signingRegion(new URL("https://api.vettid.example/"), {})).toBeUndefined();
  });
});

import { matchRoute, toApiGatewayEventV2 } from "../../../local/rest";

describe("local REST adapter: API Gateway HTTP API payload v2 events", () => {
  test("builds the event as API Gateway does", () => {
    // Act
    const event = toApiGatewayEventV2(
      {
        method: "POST",
        url: "/v1/devices/dev_1/credentials?a=1&a=2",
        headers: { "Content-Type": "application/json", "X-Multi": ["1", "2"], cookie: "a=b; c=d", host: "127.0.0.1:9" },
        body: Buffer.from('{"x":1}'),
        sourceIp: "10.0.0.7",
      },
      "POST /v1/devices/{deviceId}/credentials",
      { deviceId: "dev_1" },
    );
    // Assess
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "POST /v1/devices/{deviceId}/credentials",
      rawPath: "/v1/devices/dev_1/credentials",
      rawQueryString: "a=1&a=2",
      headers: { "content-type": "application/json", "x-multi": "1,2" },
      cookies: ["a=b", "c=d"],
      queryStringParameters: { a: "1,2" },
      pathParameters: { deviceId: "dev_1" },
      isBase64Encoded: false,
      body: '{"x":1}',
      requestContext: { http: { method: "POST", sourceIp: "10.0.0.7" }, stage: "$default" },
    });
  });

  test("binary bodies arrive base64-encoded", () => {
    const event = toApiGatewayEventV2(
      {
        method: "POST",
        url: "/x",
        headers: { "content-type": "application/octet-stream" },
        body: Buffer.from([0xff, 0]),
        sourceIp: "1",
      },
      "POST /x",
      undefined,
    );
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(Buffer.from([0xff, 0]).toString("base64"));
  });

  test("matches templates, distinguishing unknown paths from wrong methods", () => {
    const routes = [{ method: "POST", path: "/v1/devices/{deviceId}/revoke" }];
    expect(matchRoute(routes, "POST", "/v1/devices/dev_9/revoke").match?.pathParameters).toEqual({ deviceId: "dev_9" });
    expect(matchRoute(routes, "GET", "/v1/devices/dev_9/revoke")).toEqual({ pathExists: true });
    expect(matchRoute(routes, "POST", "/v1/devices//revoke")).toEqual({ pathExists: false });
  });
});

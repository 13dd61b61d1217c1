/**
 * What a handler writes for CloudWatch, as Lambda runs it: Powertools log lines with
 * the Lambda context and the function's own service name, one status field, and EMF
 * metrics (the success metric of its route, refusals by code, the cold start).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import * as z from "zod";
import { EDGE_METRICS_NAMESPACE } from "../../../functions/middleware/edge-metrics";
import type { EdgeEvent } from "../../../functions/middleware/types";
import { buildHandler, edgeServiceName } from "../../../functions/shared/handler";
import type { RouteDefinition } from "../../../functions/shared/route";
import { VettidError } from "../../../lib/errors";
import { lambdaContext, toApiGatewayEventV2 } from "../../../local/rest";

const TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

function route(handle: RouteDefinition<object>["handle"]): RouteDefinition<object> {
  return {
    name: "enrollments-create",
    method: "POST",
    path: "/t",
    auth: "none",
    summary: "t",
    body: z.strictObject({ a: z.string() }),
    success: { status: 201, description: "ok" },
    errors: [],
    env: [],
    successMetric: "Enrollments",
    handle,
  };
}

function event(body: string): EdgeEvent {
  return toApiGatewayEventV2(
    {
      method: "POST",
      url: "/t",
      headers: { "content-type": "application/json" },
      body: Buffer.from(body),
      sourceIp: "127.0.0.1",
    },
    "POST /t",
    undefined,
  ) as EdgeEvent;
}

describe("edge observability", () => {
  const lines: string[] = [];
  let write: jest.SpyInstance;
  const saved = { ...process.env };

  beforeAll(() => {
    // What Lambda sets in a function's environment.
    process.env._X_AMZN_TRACE_ID = TRACE;
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.POWERTOOLS_DEV;
    write = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
  });
  afterAll(() => {
    write.mockRestore();
    process.env = saved;
  });

  it("logs with the Lambda context and the function's service name, and writes EMF metrics", async () => {
    // Prepare: the Powertools defaults a deployed function gets (stdout, no test logger).
    const handler = buildHandler(
      route(async () => ({ body: { ok: true } })),
      { environment: "prod", context: () => ({}) },
    );

    // Act: a success, then a refusal
    const first = await handler(event('{"a":"x"}'), lambdaContext("enrollments-create", "req-1"));
    const second = await handler(event('{"a":1}'), lambdaContext("enrollments-create", "req-2"));

    // Assess
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(400);
    const json = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const logs = json.filter((l) => typeof l.message === "string");
    const done = logs.filter((l) => l.message === "request done");
    expect(done).toHaveLength(2);
    for (const line of done) {
      expect(line).toMatchObject({
        service: edgeServiceName("enrollments-create"),
        cold_start: expect.any(Boolean),
        function_request_id: expect.stringMatching(/^req-[12]$/),
        xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
        statusCode: expect.any(Number),
      });
      expect(line).not.toHaveProperty("status");
    }
    expect(done[0]?.cold_start).toBe(true);
    expect(done[1]?.cold_start).toBe(false);
    const refused = logs.find((l) => l.message === "request refused");
    expect(refused).toMatchObject({ code: "VALIDATION_FAILED", statusCode: 400 });
    expect(refused).not.toHaveProperty("status");

    const emf = json.filter((l) => l._aws !== undefined) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[]; Dimensions: string[][] }[] };
      [key: string]: unknown;
    }[];
    const named = (name: string) =>
      emf.filter((e) => e._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === name));
    for (const e of emf) expect(e._aws.CloudWatchMetrics[0]?.Namespace).toBe(EDGE_METRICS_NAMESPACE);
    expect(named("ColdStart")).toHaveLength(1);
    expect(named("Enrollments")).toHaveLength(1);
    expect(named("Enrollments")[0]).toMatchObject({ service: edgeServiceName("enrollments-create"), Enrollments: 1 });
    expect(named("Requests").reduce((n, e) => n + Number(e.Requests), 0)).toBe(2);
    const refusals = named("Refusals");
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ code: "VALIDATION_FAILED", Refusals: 1 });
    expect(refusals[0]?._aws.CloudWatchMetrics[0]?.Dimensions.flat()).toContain("code");
  });

  it("counts no refusal for a server failure, which the 5xx alarm covers", async () => {
    lines.length = 0;
    const handler = buildHandler(
      route(async () => {
        throw new VettidError("UNAVAILABLE", "upstream down");
      }),
      {
        environment: "prod",
        context: () => ({}),
        logger: new Logger({ serviceName: "x", logLevel: "CRITICAL" }),
        metrics: new Metrics({ namespace: EDGE_METRICS_NAMESPACE, serviceName: "x" }),
      },
    );
    const result = await handler(event('{"a":"x"}'), lambdaContext("enrollments-create", "req-3"));
    expect(result.statusCode).toBe(503);
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l._aws !== undefined);
    expect(emf.some((e) => "Refusals" in e)).toBe(false);
    expect(emf.some((e) => e.Requests === 1)).toBe(true);
  });
});

/** The alarms on the edge's business metrics watch exactly what the handlers write. */
import { EDGE_METRICS, EDGE_METRICS_NAMESPACE as WRITTEN_NAMESPACE } from "../../../functions/middleware/edge-metrics";
import { FUNCTIONS } from "../../../functions/routes";
import { edgeServiceName } from "../../../functions/shared/handler";
import { isErrorCode } from "../../../lib/errors";
import { buildStacks } from "../../../stacks/app";
import { Testing } from "../../../stacks/cdktf";
import { envConfig } from "../../../stacks/config";
import { readFunctions } from "../../../stacks/inputs/functions";
import { readManifest } from "../../../stacks/inputs/manifest";
import { EDGE_ALARMED_METRICS, EDGE_METRICS_NAMESPACE, STREAM_LAG_ALARM_MS } from "../../../stacks/observability";
import { REPO_ROOT } from "../../../stacks/synthesize";
import { synthOptionsForTests, testRuntimeNatsKey } from "../../policy/synth-options";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

describe("observability stack: edge business metrics", () => {
  const options = synthOptionsForTests(false);
  const stacks = buildStacks(Testing.app({ stackTraces: false }), {
    config: envConfig("dev"),
    functions: readFunctions(REPO_ROOT, options.functionsFile),
    manifest: readManifest(options.manifestFile, options.manifestKeyFile),
    runtimeNatsKey: testRuntimeNatsKey("dev"),
    root: REPO_ROOT,
  });
  const alarms =
    (JSON.parse(Testing.synth(stacks.observability)) as { resource: Resources }).resource.aws_cloudwatch_metric_alarm ??
    {};

  it("uses the namespace, metric names, services and codes the handlers write", () => {
    expect(EDGE_METRICS_NAMESPACE).toBe(WRITTEN_NAMESPACE);
    const { revocations, invitationGuessing } = EDGE_ALARMED_METRICS;
    expect(Object.values(EDGE_METRICS)).toEqual(
      expect.arrayContaining([revocations.metric, invitationGuessing.metric]),
    );
    const route = (name: string) => FUNCTIONS.find((f) => f.route.name === name)?.route;
    expect(edgeServiceName("devices-revoke")).toBe(revocations.service);
    expect(route("devices-revoke")?.successMetric).toBe(revocations.metric);
    expect(edgeServiceName("enrollments-create")).toBe(invitationGuessing.service);
    expect(route("enrollments-create")?.errors).toContain(invitationGuessing.code);
    expect(isErrorCode(invitationGuessing.code)).toBe(true);
  });

  it("alarms on mass revocations and on invitation guessing", () => {
    expect(alarms["device-revocations"]).toMatchObject({
      namespace: EDGE_METRICS_NAMESPACE,
      metric_name: "DeviceRevocations",
      dimensions: { service: "vettid-edge-devices-revoke" },
      statistic: "Sum",
      period: 300,
      threshold: 20,
    });
    expect(alarms["invitation-guessing"]).toMatchObject({
      metric_name: "Refusals",
      dimensions: { service: "vettid-edge-enrollments-create", code: "INVITATION_INVALID" },
      threshold: 50,
    });
  });

  it("alarms when the revocation publisher lags behind the table's stream", () => {
    const lag = Object.values(alarms).filter((a) => a.metric_name === "IteratorAge");
    expect(lag).toEqual([
      expect.objectContaining({
        namespace: "AWS/Lambda",
        dimensions: { FunctionName: "vettid-dev-revocations-publish" },
        statistic: "Maximum",
        threshold: STREAM_LAG_ALARM_MS,
        comparison_operator: "GreaterThanThreshold",
      }),
    ]);
  });
});

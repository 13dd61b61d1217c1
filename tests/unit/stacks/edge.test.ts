/** The edge stack's routes, auth and per-function roles, on the fixture's three handlers. */

import { itemKey } from "../../../lib/store";
import { buildStacks } from "../../../stacks/app";
import { Testing } from "../../../stacks/cdktf";
import { envConfig } from "../../../stacks/config";
import { REVOCATION_ITEM, TRACE_WRITE_STATEMENT } from "../../../stacks/edge-environment";
import { isWorker, readFunctions } from "../../../stacks/inputs/functions";
import { readManifest } from "../../../stacks/inputs/manifest";
import { REPO_ROOT } from "../../../stacks/synthesize";
import { synthOptionsForTests, testRuntimeNatsKey } from "../../policy/synth-options";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

describe("edge stack", () => {
  const options = synthOptionsForTests(false);
  const functions = readFunctions(REPO_ROOT, options.functionsFile);
  const stacks = buildStacks(Testing.app({ stackTraces: false }), {
    config: envConfig("dev"),
    functions,
    manifest: readManifest(options.manifestFile, options.manifestKeyFile),
    runtimeNatsKey: testRuntimeNatsKey("dev"),
    root: REPO_ROOT,
  });
  const resource = (JSON.parse(Testing.synth(stacks.edge)) as { resource: Resources }).resource;

  it("requires SigV4 exactly on the routes marked auth: iam", () => {
    for (const fn of functions) {
      if (isWorker(fn)) continue;
      const route = resource.aws_apigatewayv2_route?.[`${fn.name}-route`];
      expect(route?.route_key).toBe(`${fn.method} ${fn.path}`);
      expect(route?.authorization_type).toBe(fn.auth === "iam" ? "AWS_IAM" : "NONE");
    }
  });

  it("lets API Gateway invoke each function only through its own route", () => {
    const permission = resource.aws_lambda_permission?.["admin-devices-revoke-invoke"];
    expect(permission?.source_arn).toMatch(/\/\*\/POST\/v1\/admin\/devices\/\*\/revoke$/);
  });

  it("gives each function its own role with only what its environment implies", () => {
    const policies = Object.values(resource.aws_iam_role_policy ?? {}).map((p) => JSON.parse(String(p.policy)));
    expect(Object.keys(resource.aws_iam_role ?? {})).toHaveLength(functions.length);
    const manifestOnly = JSON.parse(String(resource.aws_iam_role_policy?.["pcr-manifest-get-policy"]?.policy));
    expect(manifestOnly.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["OwnLogGroup", "XRayWrite"]);
    // only writing X-Ray traces applies to "*" (X-Ray has no resource-level permissions)
    const star = policies.flatMap((p) => p.Statement).filter((s: { Resource: unknown }) => s.Resource === "*");
    expect(star).toHaveLength(functions.length);
    for (const s of star) expect(s).toEqual(TRACE_WRITE_STATEMENT);
  });

  it("gives a worker no route and no invoke permission, only its stream mapping filtered to the revocation item", () => {
    // the key the stacks filter on is the one the store writes
    expect(REVOCATION_ITEM).toEqual(itemKey.revocations());
    const workers = functions.filter(isWorker);
    expect(workers.map((w) => w.name)).toEqual(["revocations-publish"]);
    expect(resource.aws_apigatewayv2_route?.["revocations-publish-route"]).toBeUndefined();
    expect(resource.aws_lambda_permission?.["revocations-publish-invoke"]).toBeUndefined();
    const mapping = resource.aws_lambda_event_source_mapping?.["revocations-publish-stream"];
    expect(mapping?.event_source_arn).toContain("stream_arn");
    expect(
      JSON.parse(
        String((mapping?.filter_criteria as { filter: { pattern: string }[] } | undefined)?.filter[0]?.pattern),
      ),
    ).toEqual({
      eventName: ["INSERT", "MODIFY"],
      dynamodb: { Keys: { pk: { S: ["NATS"] }, sk: { S: ["REVOCATIONS"] } } },
    });
  });

  it("throttles the API and logs access", () => {
    const stage = resource.aws_apigatewayv2_stage?.stage;
    expect(stage?.default_route_settings).toEqual(
      expect.objectContaining({ throttling_rate_limit: 50, throttling_burst_limit: 100 }),
    );
    expect(stage?.access_log_settings).toEqual(
      expect.objectContaining({ format: expect.stringContaining("$context.requestId") }),
    );
  });
});

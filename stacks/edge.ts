import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { Construct } from "constructs";
import { App, AssetType, TerraformAsset, TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import { type EdgeResources, handlerEnvironment, TRACE_WRITE_STATEMENT } from "./edge-environment";
import type { FunctionEntry } from "./inputs/functions";
import { BaseStack } from "./shared/base-stack";
import { zipDirectory } from "./shared/deterministic-zip";
import { assumeRolePolicy, policyDocument } from "./shared/policy";

/** The runtime of every handler; tests/policy accepts nodejs22.x and nodejs24.x. */
export const LAMBDA_RUNTIME = "nodejs22.x";

export interface EdgeStackProps {
  functions: readonly FunctionEntry[];
  /** Repository root: bundle folders in functions.json are relative to it. */
  root: string;
  resources: Omit<EdgeResources, "environment">;
}

/** API Gateway access log fields (one JSON line per request; no bodies, no auth headers). */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  integrationError: "$context.integrationErrorMessage",
  latency: "$context.responseLatency",
});

/**
 * The REST edge: one HTTP API with throttling and access logs, one Lambda per entry of
 * functions.json (its esbuild bundle as the code), one role per Lambda holding only the
 * permissions its declared environment implies, SigV4 (IAM) auth on admin routes.
 */
export class EdgeStack extends BaseStack {
  readonly api: Apigatewayv2Api;
  readonly functionNames: string[] = [];

  constructor(scope: Construct, config: EnvConfig, props: EdgeStackProps) {
    super(scope, "edge", config);
    const p = this.prefix;
    const resources: EdgeResources = { environment: config.name, ...props.resources };

    this.api = new Apigatewayv2Api(this, "api", {
      name: p,
      protocolType: "HTTP",
      description: "VettID REST bootstrap (enrollment, credentials, manifest)",
    });
    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/vettid/${config.name}/api-access`,
      retentionInDays: config.logRetentionDays,
    });
    new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingRateLimit: config.api.throttlingRateLimit,
        throttlingBurstLimit: config.api.throttlingBurstLimit,
        detailedMetricsEnabled: true,
      },
    });

    // Bundles are zipped here, deterministically, then copied into the stack's assets.
    const zips = join(App.of(this).outdir, ".bundles");
    rmSync(zips, { recursive: true, force: true });
    mkdirSync(zips, { recursive: true });

    for (const fn of props.functions) {
      const functionName = `${p}-${fn.name}`;
      const { variables, statements } = handlerEnvironment(fn.name, fn.env, resources);
      const logGroup = new CloudwatchLogGroup(this, `${fn.name}-logs`, {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: config.logRetentionDays,
      });
      const role = new IamRole(this, `${fn.name}-role`, {
        name: functionName,
        assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
      });
      new IamRolePolicy(this, `${fn.name}-policy`, {
        name: "least-privilege",
        role: role.id,
        policy: policyDocument([
          {
            Sid: "OwnLogGroup",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${logGroup.arn}:*`,
          },
          TRACE_WRITE_STATEMENT,
          ...statements,
        ]),
      });
      const zip = zipDirectory(join(props.root, fn.bundle));
      const zipPath = join(zips, `${fn.name}.zip`);
      writeFileSync(zipPath, zip);
      const bundle = new TerraformAsset(this, `${fn.name}-bundle`, { path: zipPath, type: AssetType.FILE });
      const lambda = new LambdaFunction(this, `${fn.name}-function`, {
        functionName,
        role: role.arn,
        runtime: LAMBDA_RUNTIME,
        architectures: ["arm64"],
        handler: fn.handler,
        filename: bundle.path,
        sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
        memorySize: config.api.lambdaMemoryMiB,
        timeout: config.api.lambdaTimeoutSeconds,
        environment: { variables },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        // Lambda records each invocation's segment; functions that call AWS add
        // subsegments for those calls with the Powertools tracer (docs/decisions/0065).
        tracingConfig: { mode: "Active" },
        dependsOn: [logGroup],
      });
      this.functionNames.push(functionName);
      const integration = new Apigatewayv2Integration(this, `${fn.name}-integration`, {
        apiId: this.api.id,
        integrationType: "AWS_PROXY",
        integrationUri: lambda.invokeArn,
        payloadFormatVersion: "2.0",
      });
      new Apigatewayv2Route(this, `${fn.name}-route`, {
        apiId: this.api.id,
        routeKey: `${fn.method} ${fn.path}`,
        target: `integrations/${integration.id}`,
        authorizationType: fn.auth === "iam" ? "AWS_IAM" : "NONE",
      });
      new LambdaPermission(this, `${fn.name}-invoke`, {
        functionName: lambda.functionName,
        action: "lambda:InvokeFunction",
        principal: "apigateway.amazonaws.com",
        // Only this route of this API may invoke the function (path parameters → wildcard).
        sourceArn: `${this.api.executionArn}/*/${fn.method}${fn.path.replace(/\{[^}]+\}/g, "*")}`,
      });
    }
    new TerraformOutput(this, "api-endpoint", { value: this.api.apiEndpoint });
  }
}

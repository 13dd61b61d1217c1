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
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { Construct } from "constructs";
import { App, AssetType, TerraformAsset, TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import {
  type EdgeResources,
  type FunctionKind,
  handlerEnvironment,
  REVOCATION_ITEM,
  TRACE_WRITE_STATEMENT,
} from "./edge-environment";
import { type BuiltFunction, type FunctionEntry, isWorker, type WorkerEntry } from "./inputs/functions";
import { BaseStack } from "./shared/base-stack";
import { zipDirectory } from "./shared/deterministic-zip";
import { assumeRolePolicy, policyDocument, type Statement } from "./shared/policy";

/** The runtime of every handler; tests/policy accepts nodejs22.x and nodejs24.x. */
export const LAMBDA_RUNTIME = "nodejs22.x";

export interface EdgeStackProps {
  functions: readonly BuiltFunction[];
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
 * How the revocation publisher reads the table's stream: only changes of the revocation
 * item reach it (the filter), one at a time in order; a failed push is retried with
 * back-off for up to an hour (`maximumRecordAgeInSeconds`; a failure meanwhile alarms through
 * the function's error alarm), then dropped: the next revocation, or a retried one (which
 * rewrites the item), publishes the whole list again.
 */
export const REVOCATION_STREAM_MAPPING = {
  batchSize: 10,
  maximumRetryAttempts: 100,
  maximumRecordAgeInSeconds: 3600,
  startingPosition: "LATEST",
} as const;

/**
 * The REST edge: one HTTP API with throttling and access logs, one Lambda per entry of
 * functions.json (its esbuild bundle as the code), one role per Lambda holding only the
 * permissions its declared environment implies, SigV4 (IAM) auth on admin routes. Workers
 * (entries with a `trigger`) get no route and no invoke permission: the revocation
 * publisher is invoked by its event source mapping on the table's stream alone.
 */
export class EdgeStack extends BaseStack {
  readonly api: Apigatewayv2Api;
  readonly functionNames: string[] = [];
  /** The functions a stream triggers (the revocation publisher): their lag alarms. */
  readonly streamFunctionNames: string[] = [];

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
      if (isWorker(fn)) this.worker(fn, resources, zips, props.root);
      else this.route(fn, resources, zips, props.root);
    }
    new TerraformOutput(this, "api-endpoint", { value: this.api.apiEndpoint });
  }

  /** A route's function: API Gateway integration, route, and an invoke permission for that route only. */
  private route(fn: FunctionEntry, resources: EdgeResources, zips: string, root: string): void {
    const lambda = this.lambda(fn, "route", resources, zips, root, []);
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

  /**
   * A worker's function: no route, no invoke permission (no resource policy at all), only
   * the event source mapping of its trigger, whose reads of the stream its role allows.
   */
  private worker(fn: WorkerEntry, resources: EdgeResources, zips: string, root: string): void {
    const stream: Statement = {
      Sid: "ReadTableStream",
      Effect: "Allow",
      Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
      Resource: resources.tableStreamArn,
    };
    const lambda = this.lambda(fn, "worker", resources, zips, root, [stream]);
    this.streamFunctionNames.push(`${this.prefix}-${fn.name}`);
    new LambdaEventSourceMapping(this, `${fn.name}-stream`, {
      functionName: lambda.arn,
      eventSourceArn: resources.tableStreamArn,
      ...REVOCATION_STREAM_MAPPING,
      filterCriteria: {
        filter: [
          {
            pattern: JSON.stringify({
              eventName: ["INSERT", "MODIFY"],
              dynamodb: { Keys: { pk: { S: [REVOCATION_ITEM.pk] }, sk: { S: [REVOCATION_ITEM.sk] } } },
            }),
          },
        ],
      },
    });
  }

  /** The function, its log group and its own role with what its environment implies (plus `extra`). */
  private lambda(
    fn: BuiltFunction,
    kind: FunctionKind,
    resources: EdgeResources,
    zips: string,
    root: string,
    extra: Statement[],
  ): LambdaFunction {
    const config = this.config;
    const functionName = `${this.prefix}-${fn.name}`;
    const { variables, statements } = handlerEnvironment(fn.name, fn.env, resources, kind);
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
        ...extra,
      ]),
    });
    const zip = zipDirectory(join(root, fn.bundle));
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
    return lambda;
  }
}

import type { Statement } from "./shared/policy";

/** What the edge stack knows about its neighbours, to fill handler environments. */
export interface EdgeResources {
  environment: string;
  tableName: string;
  tableArn: string;
  /** The table's stream (keys only), which invokes the revocation publisher. */
  tableStreamArn: string;
  /** Public NATS URLs (comma-separated for VETTID_NATS_URLS). */
  natsUrls: readonly string[];
  /** The scoped device signing key: the REST edge's only NATS secret. */
  natsDeviceSigningSecretArn: string;
  /** The operator signing key and system user: workers only (the revocation publisher). */
  natsOperatorSecretArn: string;
  manifestUrl: string;
  jwtTtlSeconds: number;
}

/** What kind of function asks: a REST route (internet-facing) or a worker that no route reaches. */
export type FunctionKind = "route" | "worker";

/** One environment variable a handler may ask for: its value and the access it implies. */
interface Provided {
  value: (r: EdgeResources) => string;
  /** IAM statements the function needs to use what the variable points at (least privilege). */
  grants: (r: EdgeResources, kind: FunctionKind) => Statement[];
  /** Only workers may ask for it: a route listing it stops the synth. */
  workersOnly?: true;
}

const none = (): Statement[] => [];

/** The key of the revocation item (lib/store `itemKey.revocations()`; tests/unit/stacks/edge checks they agree). */
export const REVOCATION_ITEM = { pk: "NATS", sk: "REVOCATIONS" } as const;
const REVOCATION_PARTITION = REVOCATION_ITEM.pk;

function secretRead(sid: string, secretArn: string): Statement {
  return { Sid: sid, Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn };
}

/**
 * Every variable a handler may list in `env` (functions.json). A handler gets exactly the
 * variables it lists and exactly the permissions they imply; a name not in this map stops
 * the synth, so no handler runs half-configured or with access it did not declare.
 */
export const PROVIDED_ENV: Record<string, Provided> = {
  VETTID_ENV: { value: (r) => r.environment, grants: none },
  VETTID_TABLE_NAME: {
    value: (r) => r.tableName,
    grants: (r, kind) => [
      kind === "worker"
        ? // The revocation publisher reads the revocation item and nothing else.
          {
            Sid: "RevocationItem",
            Effect: "Allow",
            Action: "dynamodb:GetItem",
            Resource: r.tableArn,
            Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [REVOCATION_PARTITION] } },
          }
        : {
            Sid: "TableItems",
            Effect: "Allow",
            // Item-level actions only: no Scan, no table management. Transactions are
            // authorized per item action.
            Action: [
              "dynamodb:BatchGetItem",
              "dynamodb:ConditionCheckItem",
              "dynamodb:DeleteItem",
              "dynamodb:GetItem",
              "dynamodb:PutItem",
              "dynamodb:Query",
              "dynamodb:UpdateItem",
            ],
            Resource: [r.tableArn, `${r.tableArn}/index/*`],
          },
    ],
  },
  VETTID_NATS_URLS: { value: (r) => r.natsUrls.join(","), grants: none },
  VETTID_NATS_DEVICE_SIGNING_SECRET_ID: {
    value: (r) => r.natsDeviceSigningSecretArn,
    grants: (r) => [secretRead("NatsDeviceSigningKey", r.natsDeviceSigningSecretArn)],
  },
  VETTID_NATS_OPERATOR_SECRET_ID: {
    value: (r) => r.natsOperatorSecretArn,
    grants: (r) => [secretRead("NatsOperatorSigningKey", r.natsOperatorSecretArn)],
    workersOnly: true,
  },
  VETTID_JWT_TTL_SECONDS: { value: (r) => String(r.jwtTtlSeconds), grants: none },
  // What enrollment tells devices to fetch, and where GET /v1/pcr-manifest reads from:
  // the published manifest behind the CDN (public; no grant needed).
  VETTID_MANIFEST_URL: { value: (r) => r.manifestUrl, grants: none },
  VETTID_MANIFEST_SOURCE: { value: (r) => r.manifestUrl, grants: none },
};

/**
 * What every handler's environment holds besides the variables it lists. No
 * `NODE_OPTIONS`: `--enable-source-maps` would make Node read and parse each
 * bundle's source map at init, on every cold start. The maps ship beside the bundles
 * in the zips; mapped stack traces are had by setting
 * `NODE_OPTIONS=--enable-source-maps` on a function while investigating
 * (docs/decisions/0059). `npm run bench -- edge-cold-start` runs with this.
 */
export const BASE_HANDLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  // X-Ray never records an answer or an error's text: answers carry NATS credentials
  // and invitation codes (docs/decisions/0065). The middleware passes the same for
  // answers; these hold for every other use of the tracer.
  POWERTOOLS_TRACER_CAPTURE_RESPONSE: "false",
  POWERTOOLS_TRACER_CAPTURE_ERROR: "false",
};

/**
 * What every edge function may do besides what its variables imply: send its X-Ray
 * trace segments (active tracing). X-Ray has no resource-level permissions or
 * condition keys for writing traces; nothing here reads one.
 */
export const TRACE_WRITE_STATEMENT: Statement = {
  Sid: "XRayWrite",
  Effect: "Allow",
  Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  Resource: "*",
};

/**
 * The environment and the IAM statements of one handler.
 * @throws Error naming the variable when a handler asks for one the edge does not provide,
 * or when a route asks for one that only workers may have.
 */
export function handlerEnvironment(
  name: string,
  wanted: readonly string[],
  resources: EdgeResources,
  kind: FunctionKind = "route",
): { variables: Record<string, string>; statements: Statement[] } {
  const variables: Record<string, string> = { ...BASE_HANDLER_ENVIRONMENT };
  const statements: Statement[] = [];
  for (const key of [...wanted].sort()) {
    const provided = PROVIDED_ENV[key];
    if (provided === undefined) {
      throw new Error(
        `function ${name} needs ${key}, which the edge stack does not provide (known: ${Object.keys(PROVIDED_ENV).join(", ")})`,
      );
    }
    if (provided.workersOnly && kind !== "worker") {
      throw new Error(`function ${name} is a route and may not have ${key}: only workers that no route reaches may`);
    }
    variables[key] = provided.value(resources);
    statements.push(...provided.grants(resources, kind));
  }
  return { variables, statements };
}

import { createEdgeClient, type EdgeClient } from "../device";
import { signingRegion, sigV4Signer } from "../operator";
import { UsageError } from "./command";
import { readLocalEndpoints, sameOrigin } from "./local-endpoints";

/** The options every `admin` command takes to reach and authenticate to the edge. */
export const ADMIN_OPTIONS = {
  api: { type: "string" },
  token: { type: "string" },
  region: { type: "string" },
  json: { type: "boolean" },
} as const;

/** What {@link ADMIN_HELP} documents, for each admin command's help text. */
export const ADMIN_HELP = `  --api URL             the REST edge (default: the local topology's)
  --token T             the local topology's operator token (default: its own, sent only to its own edge)
  --region R            the region to sign for (default: from an execute-api URL, else AWS_REGION)

Against a deployed edge, requests are signed with SigV4 (API Gateway IAM authorization)
with credentials from the standard AWS chain: environment, profile and SSO, web
identity, container or instance role.`;

/**
 * The edge client an admin command uses: the local topology's token for the local
 * edge (or an explicit `--token`), SigV4 from the AWS credential chain for any other.
 * @throws UsageError without an API, or for a URL that is not http(s).
 */
export function adminClient(
  values: { api?: string; token?: string; region?: string },
  env: NodeJS.ProcessEnv,
): { client: EdgeClient; auth: "token" | "sigv4" } {
  const local = readLocalEndpoints(env);
  const api = values.api ?? local?.rest;
  if (!api) throw new UsageError("--api is required (no local topology found)");
  if (!/^https?:\/\//.test(api)) throw new UsageError("--api must be an http(s) URL");
  // the local admin token goes only to the local topology it belongs to
  const token =
    values.token ?? (local?.rest && local.adminToken && sameOrigin(api, local.rest) ? local.adminToken : undefined);
  if (token) return { client: createEdgeClient({ baseUrl: api, adminToken: token }), auth: "token" };
  const region = signingRegion(new URL(api), env, values.region);
  if (!region) throw new UsageError("--region is required to sign for this API (or set AWS_REGION)");
  return { client: createEdgeClient({ baseUrl: api, signer: sigV4Signer({ region }) }), auth: "sigv4" };
}

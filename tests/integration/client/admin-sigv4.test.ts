/**
 * `bin/vettid admin …` against a deployed edge signs with SigV4 from the standard AWS
 * credential chain. The stand-in here plays API Gateway's IAM authorization: it reads
 * the Authorization header, signs the request it received again with the secret it
 * knows for that access key (the SDK's signer, whose output tests/unit/client/
 * sigv4.test.ts checks against AWS's published suite), and answers 403 unless both
 * signatures, the scope and the session token agree.
 */
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

const run = promisify(execFile);
const BIN = join(__dirname, "..", "..", "..", "bin", "vettid");
const KEYS = {
  accessKeyId: "AKIAVETTIDTEST000001",
  secretAccessKey: "test/secret+key",
  sessionToken: "session-token-1",
};
const REGION = "eu-central-1";

interface Seen {
  method: string;
  path: string;
  verdict: string;
}

/** Checks a request's SigV4 as API Gateway would; returns "ok" or why not. */
async function verify(req: IncomingMessage, body: string): Promise<string> {
  const auth = req.headers.authorization ?? "";
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return "no SigV4 Authorization header";
  const [, accessKeyId, , region, service, signedHeaders, signature] = m;
  if (accessKeyId !== KEYS.accessKeyId) return "unknown access key";
  if (region !== REGION || service !== "execute-api") return `wrong scope ${region}/${service}`;
  if (req.headers["x-amz-security-token"] !== KEYS.sessionToken) return "no session token";
  const amzDate = String(req.headers["x-amz-date"]);
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
  const headers: Record<string, string> = {};
  for (const name of (signedHeaders as string).split(";")) headers[name] = String(req.headers[name] ?? "");
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const again = await new SignatureV4({
    service: "execute-api",
    region: REGION,
    credentials: KEYS,
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: false,
  }).sign(
    {
      method: req.method ?? "GET",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
      ...(body.length > 0 ? { body } : {}),
    },
    { signingDate: date, signableHeaders: new Set(Object.keys(headers)) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization))?.[1];
  return expected === signature ? "ok" : "signature mismatch";
}

describe("bin/vettid admin against an IAM-authorized edge (SigV4 stand-in)", () => {
  let server: Server;
  let api: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        void verify(req, body).then((verdict) => {
          seen.push({ method: req.method ?? "", path: req.url ?? "", verdict });
          if (verdict !== "ok") {
            // As API Gateway answers a request its IAM authorization refuses.
            res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "InvalidSignatureException" });
            res.end(JSON.stringify({ message: `The request signature we calculated does not match (${verdict})` }));
            return;
          }
          res.writeHead(req.method === "POST" && req.url === "/v1/invitations" ? 201 : 200, {
            "content-type": "application/json",
          });
          if (req.url === "/v1/invitations") {
            res.end(
              JSON.stringify({
                invitationId: "inv_0123456789abcdef0123456789abcdef",
                code: "ABCD-EFGH-JKLM-NPQR",
                expiresAt: "2026-12-09T00:00:00.000Z",
              }),
            );
          } else if (req.url?.startsWith("/v1/invitations?")) {
            res.end(JSON.stringify({ items: [] }));
          } else {
            res.end(JSON.stringify({ deviceId: "dev_0123456789abcdef0123456789abcdef", status: "revoked" }));
          }
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const env = (overrides: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? "",
    HOME: "/nonexistent",
    VETTID_ENDPOINTS: "/nonexistent/endpoints.json",
    AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
    AWS_SESSION_TOKEN: KEYS.sessionToken,
    AWS_REGION: REGION,
    ...overrides,
  });

  it("signs admin invite with the environment's credentials, and the edge accepts it", async () => {
    const { stdout } = await run(process.execPath, [BIN, "admin", "invite", "--api", api, "--note", "für Anna"], {
      env: env(),
    });
    expect(stdout).toBe("ABCD-EFGH-JKLM-NPQR\n");
    expect(seen.at(-1)).toEqual({ method: "POST", path: "/v1/invitations", verdict: "ok" });
  });

  it("signs invitations list (with its query) and devices revoke", async () => {
    await run(process.execPath, [BIN, "admin", "invitations", "list", "--api", api, "--limit", "5", "--json"], {
      env: env(),
    });
    expect(seen.at(-1)).toEqual({ method: "GET", path: "/v1/invitations?limit=5", verdict: "ok" });
    const { stdout } = await run(
      process.execPath,
      [BIN, "admin", "devices", "revoke", "dev_0123456789abcdef0123456789abcdef", "--api", api],
      { env: env() },
    );
    expect(stdout).toBe("dev_0123456789abcdef0123456789abcdef revoked\n");
    expect(seen.at(-1)).toEqual({
      method: "POST",
      path: "/v1/admin/devices/dev_0123456789abcdef0123456789abcdef/revoke",
      verdict: "ok",
    });
  });

  it("is refused with the edge's detail in one line when the secret is wrong", async () => {
    const failed = await run(process.execPath, [BIN, "admin", "invite", "--api", api], {
      env: env({ AWS_SECRET_ACCESS_KEY: "not-the-secret" }),
    }).catch((err: { code: number; stderr: string }) => err);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr.trim()).toBe(
      "error: FORBIDDEN: The request signature we calculated does not match (signature mismatch)",
    );
  });
});

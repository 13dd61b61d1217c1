import { createHash, createHmac } from "node:crypto";
import type { HttpRequest } from "../../../../lib/aws-json";

/**
 * An independent SigV4 check written from the AWS specification (not the SDK's
 * signer): recomputes the signature of a request as it went on the wire, from
 * the headers its Authorization line says were signed.
 */
export function verifySigV4(
  request: HttpRequest,
  credentials: { accessKeyId: string; secretAccessKey: string },
): { valid: boolean; signedHeaders: string[]; scope: string } {
  const authorization = request.headers.authorization ?? "";
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    authorization,
  );
  if (!match) return { valid: false, signedHeaders: [], scope: "" };
  const [, keyId, scope, signedList, signature] = match as unknown as [string, string, string, string, string];
  const signedHeaders = signedList.split(";");
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(lower[h] ?? "").trim()}\n`).join("");
  const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
  const canonicalRequest = [
    request.method,
    request.url.pathname || "/",
    "",
    canonicalHeaders,
    signedList,
    sha256(request.body),
  ].join("\n");
  const amzDate = lower["x-amz-date"] ?? "";
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const [date, region, service, terminator] = scope.split("/") as [string, string, string, string];
  let key: Buffer = createHmac("sha256", `AWS4${credentials.secretAccessKey}`).update(date).digest();
  for (const part of [region, service, terminator]) key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
  return { valid: keyId === credentials.accessKeyId && expected === signature, signedHeaders, scope };
}

import { writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "../aws/dynamodb";
import { type AwsStandIn, startAwsJsonServer } from "../aws/json-protocol";
import { attestationRecipientVerifier, createKmsService } from "../aws/kms";
import { createDevTls } from "../tls";

/**
 * The name the local KMS stand-in's certificate carries, and that the local enclave's
 * measured configuration pins (`.test` is reserved, RFC 2606: it never resolves).
 */
export const LOCAL_KMS_ENDPOINT_NAME = "kms.vettid-local.test";

/** The KMS stand-in over HTTPS, with the dev TLS CA the launcher made for it. */
export interface LocalKms {
  server: AwsStandIn;
  /** `https://127.0.0.1:<port>`: what the proxy's tunnel forwards to. */
  endpoint: string;
  /** `127.0.0.1:<port>`, the proxy's `VETTID_KMS_TUNNEL_TARGET`. */
  tunnelTarget: string;
  /** The certificate's name ({@link LOCAL_KMS_ENDPOINT_NAME}). */
  endpointName: string;
  /** The dev TLS CA (PEM) and where it was written. */
  caPem: string;
  caFile: string;
  /** An SDK client for the launcher's own calls (CreateKey), trusting the dev CA only. */
  client(): KMSClient;
  stop(): Promise<void>;
}

/**
 * DEV ONLY. Starts the KMS stand-in (local/aws/kms.ts: Recipient → CMS, PCR0 policy
 * enforced) on its own loopback HTTPS server, with a dev TLS CA made at this start;
 * Recipient documents are verified against `attestationRootPem` (the simulated NSM's
 * dev root). Writes the CA to `dir/kms-tls-ca.pem`.
 */
export async function startLocalKms(dir: string, attestationRootPem: string): Promise<LocalKms> {
  const tls = await createDevTls({ dns: [LOCAL_KMS_ENDPOINT_NAME], ipv4: ["127.0.0.1"] });
  const caFile = join(dir, "kms-tls-ca.pem");
  writeFileSync(caFile, tls.caPem);
  const service = createKmsService({
    environment: "local",
    region: LOCAL_AWS_REGION,
    verifyRecipient: attestationRecipientVerifier([attestationRootPem]),
  });
  const server = await startAwsJsonServer([service], 0, tls);
  return {
    server,
    endpoint: server.endpoint,
    tunnelTarget: `127.0.0.1:${server.port}`,
    endpointName: LOCAL_KMS_ENDPOINT_NAME,
    caPem: tls.caPem,
    caFile,
    client: () =>
      new KMSClient({
        endpoint: server.endpoint,
        region: LOCAL_AWS_REGION,
        credentials: LOCAL_AWS_CREDENTIALS,
        requestHandler: { httpsAgent: new Agent({ ca: tls.caPem }) },
      }),
    stop: () => server.stop(),
  };
}

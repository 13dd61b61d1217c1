import { mkdirSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "../aws/dynamodb";
import { createDevTls } from "../tls";
import { type LocalStandIn, startStandIn } from "./stand-in";

/**
 * The name the local KMS stand-in's certificate carries, and that the local enclave's
 * measured configuration pins (`.test` is reserved, RFC 2606: it never resolves).
 */
export const LOCAL_KMS_ENDPOINT_NAME = "kms.vettid-local.test";

/** The KMS stand-in's process over HTTPS, with the dev TLS CA the launcher made for it. */
export interface LocalKms {
  /** The supervised process (its keys in `keys.json` in its directory, mode 0600). */
  standIn: LocalStandIn;
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

/** Options of {@link startLocalKms}. */
export interface LocalKmsOptions {
  /** The state directory: the CA goes to `kms-tls-ca.pem`, the log beside the others. */
  stateDir: string;
  /** The stand-in's own directory (its keys, its TLS certificate and key). */
  dir: string;
  /** The simulated NSM's dev root (PEM file): Recipient documents are verified against it. */
  attestationRootFile: string;
}

/**
 * DEV ONLY. Starts the KMS stand-in (local/aws/kms.ts: Recipient → CMS, PCR0 policy
 * enforced) as its own process on a loopback HTTPS port, with a dev TLS CA made at this
 * start. The certificate and its key are files in the stand-in's directory (the key
 * mode 0600), so a restart serves the same certificate the enclave's measured
 * configuration trusts, and its keys come back from `keys.json`.
 */
export async function startLocalKms(options: LocalKmsOptions): Promise<LocalKms> {
  const tls = await createDevTls({ dns: [LOCAL_KMS_ENDPOINT_NAME], ipv4: ["127.0.0.1"] });
  const caFile = join(options.stateDir, "kms-tls-ca.pem");
  writeFileSync(caFile, tls.caPem);
  const tlsDir = join(options.dir, "tls");
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const certFile = join(tlsDir, "cert.pem");
  const keyFile = join(tlsDir, "key.pem");
  writeFileSync(certFile, tls.certPem);
  writeFileSync(keyFile, tls.keyPem, { mode: 0o600 });
  const standIn = await startStandIn({
    kind: "kms",
    name: "KMS stand-in",
    dir: options.dir,
    logDir: options.stateDir,
    https: true,
    env: {
      VETTID_KMS_TLS_CERT_FILE: certFile,
      VETTID_KMS_TLS_KEY_FILE: keyFile,
      VETTID_ATTESTATION_ROOT_FILE: options.attestationRootFile,
    },
  });
  return {
    standIn,
    endpoint: standIn.endpoint,
    tunnelTarget: `127.0.0.1:${standIn.port}`,
    endpointName: LOCAL_KMS_ENDPOINT_NAME,
    caPem: tls.caPem,
    caFile,
    client: () =>
      new KMSClient({
        endpoint: standIn.endpoint,
        region: LOCAL_AWS_REGION,
        credentials: LOCAL_AWS_CREDENTIALS,
        requestHandler: { httpsAgent: new Agent({ ca: tls.caPem }) },
      }),
    stop: () => standIn.stop(),
  };
}

import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import type { Construct } from "constructs";
import { TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import type { StackManifest } from "./inputs/manifest";
import { BaseStack } from "./shared/base-stack";
import {
  keyAdministration,
  lockedKeyAccountAccess,
  releaseRoleGovernsKey,
  useViaServices,
} from "./shared/key-policies";
import { policyDocument } from "./shared/policy";
import { SecureBucket } from "./shared/secure-bucket";

/** Where clients and reviewers fetch the current manifest (DESIGN.md §4). */
export const MANIFEST_OBJECT_KEY = ".well-known/vettid/pcr-manifest.json";

/** Key of serial `serial` in the published history (lib/manifest manifestHistoryKey). */
export function manifestHistoryKey(serial: number): string {
  return `manifests/${String(serial).padStart(8, "0")}.json`;
}

/** Tag value that marks the manifest signing key (tests/policy find it by this tag). */
export const MANIFEST_SIGNING_KEY_PURPOSE = "manifest-signing";

/** AWS managed cache policy "CachingOptimized". */
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/**
 * PCR manifest publishing and release artifacts: the append-only manifest bucket behind
 * CloudFront (`/.well-known/vettid/pcr-manifest.json`, plus every serial under
 * `manifests/`), the artifact bucket holding enclave images (EIF), and the asymmetric KMS
 * key (ECC P-256, ES256) that is this account's one release key: a manifest needs the
 * signatures of M keys of distinct owners, so this key alone never suffices, and the
 * others live outside this account (decision 0067). The manifest object comes
 * from the same file the keys stack derives its PCR0 condition from, and this stack
 * deploys first, so a published manifest and its key policy are one reviewed change.
 * Before the environment's first release (`manifest` null) it publishes nothing: the
 * manifest URL answers 403 until the first signed manifest is committed, and the
 * `published-manifest-serial` output is 0.
 */
export class ReleaseStack extends BaseStack {
  readonly manifestBucket: SecureBucket;
  readonly artifactBucket: SecureBucket;
  readonly distribution: CloudfrontDistribution;
  readonly signingKey: KmsKey;
  readonly manifestUrl: string;

  constructor(scope: Construct, config: EnvConfig, manifest: StackManifest | null) {
    super(scope, "release", config);
    const p = this.prefix;

    const bucketKey = new KmsKey(this, "release-key", {
      description: `${p} release buckets (manifests, enclave images)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { Name: `${p}-release` },
    });
    new KmsAlias(this, "release-key-alias", { name: `alias/${p}-release`, targetKeyId: bucketKey.keyId });

    this.manifestBucket = new SecureBucket(this, "manifests", {
      bucketName: `${p}-manifests-${config.accountId}`,
      kmsKeyArn: bucketKey.arn,
      protect: config.deletionProtection,
    });
    this.artifactBucket = new SecureBucket(this, "artifacts", {
      bucketName: `${p}-artifacts-${config.accountId}`,
      kmsKeyArn: bucketKey.arn,
      protect: config.deletionProtection,
    });

    const oac = new CloudfrontOriginAccessControl(this, "manifests-oac", {
      name: `${p}-manifests`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    this.distribution = new CloudfrontDistribution(this, "manifests-cdn", {
      enabled: true,
      comment: `${p} PCR manifests`,
      httpVersion: "http2and3",
      priceClass: "PriceClass_100",
      origin: [
        {
          originId: "manifests",
          domainName: this.manifestBucket.bucket.bucketRegionalDomainName,
          originAccessControlId: oac.id,
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: "manifests",
        viewerProtocolPolicy: "https-only",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: CACHING_OPTIMIZED,
        compress: true,
      },
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    });
    this.manifestUrl = `https://${this.distribution.domainName}/${MANIFEST_OBJECT_KEY}`;

    this.manifestBucket.addStatements(
      {
        Sid: "CdnReadsManifests",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: [`${this.manifestBucket.arn}/.well-known/*`, `${this.manifestBucket.arn}/manifests/*`],
        Condition: { StringEquals: { "AWS:SourceArn": this.distribution.arn } },
      },
      {
        Sid: "ManifestHistoryIsAppendOnly",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:DeleteObjectVersion",
        Resource: `${this.manifestBucket.arn}/*`,
      },
    );
    // A separate policy resource: the key → bucket → CDN → key policy chain has no cycle.
    new KmsKeyPolicy(this, "release-key-policy", {
      keyId: bucketKey.id,
      policy: policyDocument([
        keyAdministration(this.accountRoot),
        ...useViaServices(config.accountId, config.region, ["s3"]),
        {
          Sid: "CdnDecryptsManifests",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { StringEquals: { "AWS:SourceArn": this.distribution.arn } },
        },
      ]),
    });

    const objects =
      manifest === null
        ? []
        : [
            {
              id: "manifest-current",
              key: MANIFEST_OBJECT_KEY,
              text: manifest.text,
              cacheControl: "public, max-age=60",
            },
            // The whole log, so a verifier several serials behind fetches the manifests between.
            ...[...manifest.history, { serial: manifest.serial, text: manifest.text }].map((entry) => ({
              id: entry.serial === manifest.serial ? "manifest-serial" : `manifest-serial-${entry.serial}`,
              key: manifestHistoryKey(entry.serial),
              text: entry.text,
              cacheControl: "public, max-age=31536000, immutable",
            })),
          ];
    for (const o of objects) {
      new S3Object(this, o.id, {
        bucket: this.manifestBucket.bucket.id,
        key: o.key,
        content: o.text,
        contentType: "application/json",
        cacheControl: o.cacheControl,
        dependsOn: [this.manifestBucket.policy],
      });
    }

    this.signingKey = new KmsKey(this, "manifest-signing-key", {
      description: `${p} PCR manifest signing (ES256)`,
      keyUsage: "SIGN_VERIFY",
      customerMasterKeySpec: "ECC_NIST_P256",
      deletionWindowInDays: 30,
      // Whoever can change this policy can sign a manifest that devices trust: the same
      // lock as the sealing key (decision 0057).
      bypassPolicyLockoutSafetyCheck: false,
      policy: policyDocument([
        lockedKeyAccountAccess(this.accountRoot),
        ...releaseRoleGovernsKey(config.release.signerRoleArn),
        {
          Sid: "ReleasePipelineSigns",
          Effect: "Allow",
          Principal: { AWS: config.release.signerRoleArn },
          Action: "kms:Sign",
          Resource: "*",
          Condition: { StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256" } },
        },
        {
          Sid: "ReleasePipelineReadsPublicKey",
          Effect: "Allow",
          Principal: { AWS: config.release.signerRoleArn },
          Action: "kms:GetPublicKey",
          Resource: "*",
        },
        {
          Sid: "AnyoneInAccountReadsPublicKey",
          Effect: "Allow",
          Principal: { AWS: this.accountRoot },
          Action: ["kms:GetPublicKey", "kms:Verify"],
          Resource: "*",
        },
      ]),
      tags: { Name: `${p}-manifest-signing`, "vettid:purpose": MANIFEST_SIGNING_KEY_PURPOSE },
    });
    new KmsAlias(this, "manifest-signing-alias", {
      name: `alias/${p}-manifest-signing`,
      targetKeyId: this.signingKey.keyId,
    });

    new TerraformOutput(this, "manifest-url", { value: this.manifestUrl });
    // 0: no manifest published yet (serials start at 1).
    new TerraformOutput(this, "published-manifest-serial", { value: manifest?.serial ?? 0 });
  }
}

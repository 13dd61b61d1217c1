import { AcmpcaCertificate } from "@cdktf/provider-aws/lib/acmpca-certificate";
import { AcmpcaCertificateAuthority } from "@cdktf/provider-aws/lib/acmpca-certificate-authority";
import { AcmpcaCertificateAuthorityCertificate } from "@cdktf/provider-aws/lib/acmpca-certificate-authority-certificate";
import { Construct } from "constructs";

/** The AWS Private CA template the nodes issue with: end entity, TLS server + client, subject and SANs from the CSR. */
export const NATS_CERTIFICATE_TEMPLATE_ARN = "arn:aws:acm-pca:::template/EndEntityCertificate/V1";

/** Validity of a node certificate: the short-lived mode's maximum (no revocation needed, renewed daily). */
export const NATS_CERTIFICATE_VALIDITY_DAYS = 7;

/** Validity of the CA's own certificate; it outlives every node certificate by far and is rotated by replacement. */
const CA_VALIDITY_YEARS = 10;

/**
 * The environment's private CA for NATS inside the VPC (decision 0064): an AWS Private CA
 * root in short-lived certificate mode (certificates of at most seven days, no CRL or
 * OCSP to run). Its key never leaves AWS Private CA; the nodes create their own keys at
 * boot and send only CSRs, so no private key is in Terraform state or in any secret.
 * Its certificate (public) is what the vault hosts' proxies trust for NATS.
 */
export class NatsPrivateCa extends Construct {
  readonly arn: string;
  /** The CA certificate (PEM), once installed. */
  readonly certificatePem: string;
  /** Depend on this before issuing: the CA issues only after its certificate is installed. */
  readonly installed: AcmpcaCertificateAuthorityCertificate;

  constructor(scope: Construct, id: string, props: { prefix: string }) {
    super(scope, id);
    const ca = new AcmpcaCertificateAuthority(this, "ca", {
      type: "ROOT",
      usageMode: "SHORT_LIVED_CERTIFICATE",
      certificateAuthorityConfiguration: {
        keyAlgorithm: "EC_prime256v1",
        signingAlgorithm: "SHA256WITHECDSA",
        subject: { commonName: `${props.prefix} NATS CA`, organization: "VettID" },
      },
      permanentDeletionTimeInDays: 7,
    });
    const certificate = new AcmpcaCertificate(this, "ca-certificate", {
      certificateAuthorityArn: ca.arn,
      certificateSigningRequest: ca.certificateSigningRequest,
      signingAlgorithm: "SHA256WITHECDSA",
      templateArn: "arn:aws:acm-pca:::template/RootCACertificate/V1",
      validity: { type: "YEARS", value: String(CA_VALIDITY_YEARS) },
    });
    this.installed = new AcmpcaCertificateAuthorityCertificate(this, "ca-installed", {
      certificateAuthorityArn: ca.arn,
      certificate: certificate.certificate,
      certificateChain: certificate.certificateChain,
    });
    this.arn = ca.arn;
    this.certificatePem = this.installed.certificate;
  }
}

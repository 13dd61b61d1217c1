import { NATS_TLS_DIR } from "./nats-server-tls";

/** The script that issues and renews a node's certificates (written by the user data). */
export const NATS_CERTIFICATES_SCRIPT = "/usr/local/sbin/vettid-nats-certificates";

/**
 * Renew a certificate when it expires within three days: the daily timer then renews each
 * seven-day certificate on its fourth or fifth day, and two missed runs still leave a day.
 */
const RENEW_BEFORE_SECONDS = 3 * 24 * 3600;

/** What a node's certificates are issued from and for. */
export interface NatsNodeCertificatesProps {
  region: string;
  /** The environment's private CA (stacks/nats-pki.ts). */
  caArn: string;
  templateArn: string;
  validityDays: number;
  nodeName: string;
  /** The node's fixed private address (IP SAN of both certificates). */
  nodeAddress: string;
  /** The cluster's route identity (DNS SAN of the route certificate only). */
  routeIdentity: string;
  /** The cluster's client name (DNS SAN of the server certificate only: what the vault runtimes check). */
  clientServerName: string;
}

/**
 * User data that installs the certificate script and its daily timer on a NATS node and
 * runs it once. The script creates each key on the node (openssl, P-256), sends only the
 * CSR to AWS Private CA, and installs the certificate it gets back: `server` (client port:
 * the cluster's client name and the node's address) and `route` (routes: the route
 * identity and the address). It renews
 * a certificate that expires within three days and then reloads nats-server (SIGHUP: new
 * connections use the new certificate). No Terraform template syntax (dollar-brace)
 * appears in the shell text; the only interpolated values are the CA ARN and literals.
 */
export function natsCertificatesUserData(p: NatsNodeCertificatesProps): string {
  const d = NATS_TLS_DIR;
  return `cat > ${NATS_CERTIFICATES_SCRIPT} <<'CERTS'
#!/bin/bash
# Issues and renews this node's NATS certificates from the environment's private CA (decision 0064).
set -euo pipefail
umask 077
pca() { aws acm-pca --region ${p.region} "$@" --certificate-authority-arn ${p.caArn}; }
install -d -m 0750 -o root -g nats ${d}
pca get-certificate-authority-certificate --query Certificate --output text > ${d}/ca.pem.new
mv -f ${d}/ca.pem.new ${d}/ca.pem
changed=0
issue() {
  kind=$1
  if [ -s ${d}/$kind.pem ] && openssl x509 -in ${d}/$kind.pem -noout -checkend ${RENEW_BEFORE_SECONDS} >/dev/null; then
    return 0
  fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=${p.nodeName} \\
    -addext "subjectAltName=$2" -keyout ${d}/$kind-key.pem.new -out ${d}/$kind.csr
  arn=$(pca issue-certificate --csr fileb://${d}/$kind.csr --template-arn ${p.templateArn} \\
    --signing-algorithm SHA256WITHECDSA --validity Value=${p.validityDays},Type=DAYS --query CertificateArn --output text)
  pca wait certificate-issued --certificate-arn "$arn"
  pca get-certificate --certificate-arn "$arn" --query Certificate --output text > ${d}/$kind.pem.new
  mv -f ${d}/$kind-key.pem.new ${d}/$kind-key.pem
  mv -f ${d}/$kind.pem.new ${d}/$kind.pem
  rm -f ${d}/$kind.csr
  changed=1
}
issue server DNS:${p.clientServerName},IP:${p.nodeAddress}
issue route DNS:${p.routeIdentity},IP:${p.nodeAddress}
chown root:nats ${d}/*.pem
chmod 0640 ${d}/*.pem
if [ "$changed" = 1 ] && systemctl is-active --quiet nats-server.service; then systemctl reload nats-server.service; fi
CERTS
chmod 0750 ${NATS_CERTIFICATES_SCRIPT}
printf '%s\\n' '[Unit]' 'Description=Issue or renew the NATS node certificates' 'After=network-online.target' \\
  '[Service]' 'Type=oneshot' 'ExecStart=${NATS_CERTIFICATES_SCRIPT}' > /etc/systemd/system/vettid-nats-certificates.service
printf '%s\\n' '[Unit]' 'Description=Renew the NATS node certificates daily' \\
  '[Timer]' 'OnCalendar=daily' 'RandomizedDelaySec=1h' 'Persistent=true' '[Install]' 'WantedBy=timers.target' \\
  > /etc/systemd/system/vettid-nats-certificates.timer
systemctl daemon-reload
${NATS_CERTIFICATES_SCRIPT}
systemctl enable --now vettid-nats-certificates.timer`;
}

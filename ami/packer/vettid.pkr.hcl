# Host AMIs of VettID (decision 0042): the vault host (Nitro Enclaves CLI, allocator,
# vsock proxy + vsock bridge, systemd units) and the NATS node (nats-server). Each
# build publishes its AMI id to the SSM parameter the stacks read
# (/vettid/<env>/ami/vault-host, /vettid/<env>/ami/nats).
#
#   npm run build:proxy   # dist/vsock-proxy/vsock-proxy.js + .sha384 (ami/build-proxy-bundle.ts)
#   packer init ami/packer && packer build -var env=prod -var-file=ami/packer/prod.pkrvars.hcl ami/packer
#
# Provisioning connects through Session Manager (no inbound SSH, no public IP); the
# images themselves have sshd disabled and masked.

packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "~> 1.3"
    }
  }
}

variable "env" {
  type        = string
  description = "dev, staging or prod"
}

variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "subnet_id" {
  type        = string
  description = "A private subnet with the SSM endpoints (the network stack's)"
}

variable "kms_key_id" {
  type        = string
  description = "KMS key that encrypts the AMI snapshots (the data key alias of the environment)"
}

variable "proxy_bundle" {
  type        = string
  default     = "dist/vsock-proxy/vsock-proxy.js"
  description = "The vsock proxy bundle: `npm run build:proxy` (ami/build-proxy-bundle.ts, deterministic, target node22) at the release commit"
}

variable "nats_version" {
  type        = string
  description = "nats-server release, e.g. 2.10.24; at least 2.10.0, whose handshake_first the nodes' client port needs (decision 0064)"
  validation {
    condition     = can(regex("^2\\.(1[0-9]|[2-9][0-9])\\.[0-9]+$", var.nats_version))
    error_message = "nats_version must be 2.10.0 or newer (handshake_first on the client port, decision 0064)."
  }
}

variable "nats_sha256" {
  type        = string
  description = "SHA-256 of nats-server-v<version>-linux-amd64.tar.gz from the release's SHA256SUMS"
}

locals {
  common_tags = { Project = "vettid", Environment = var.env }
}

data "amazon-ami" "al2023" {
  region      = var.region
  owners      = ["amazon"]
  most_recent = true
  filters = {
    name                = "al2023-ami-2023.*-x86_64"
    virtualization-type = "hvm"
    root-device-type    = "ebs"
  }
}

# One builder for both images; each build fills in its instance type, AMI name and
# tags (build-level source blocks may only set fields this block leaves unset).
source "amazon-ebs" "al2023" {
  region                      = var.region
  source_ami                  = data.amazon-ami.al2023.id
  subnet_id                   = var.subnet_id
  associate_public_ip_address = false
  ssh_interface               = "session_manager"
  communicator                = "ssh"
  ssh_username                = "ec2-user"
  temporary_iam_instance_profile_policy_document {
    Version = "2012-10-17"
    Statement {
      Effect   = "Allow"
      Action   = ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      Resource = ["*"]
    }
  }
  imds_support = "v2.0"
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  encrypt_boot = true
  kms_key_id   = var.kms_key_id
}

build {
  name = "vault-host"
  source "source.amazon-ebs.al2023" {
    name          = "vault_host"
    instance_type = "m6i.xlarge"
    ami_name      = "vettid-${var.env}-vault-host-{{timestamp}}"
    tags          = merge(local.common_tags, { Role = "vault-host" })
  }

  provisioner "file" {
    source      = var.proxy_bundle
    destination = "/tmp/vsock-proxy.js"
  }
  provisioner "file" {
    source      = "ami/host/"
    destination = "/tmp/host"
  }
  provisioner "shell" {
    inline = [
      "set -euo pipefail",
      # Nitro Enclaves CLI (nitro-cli, allocator service), Node 22 for the proxy (the bundle's
      # esbuild target, HOST_NODE_TARGET in ami/build-proxy-bundle.ts), socat for the vsock bridge.
      # amazon-cloudwatch-agent ships the proxy's log (its EMF metrics: EnclaveHealthy) to CloudWatch.
      "sudo dnf install -y aws-nitro-enclaves-cli aws-nitro-enclaves-cli-devel nodejs22 socat jq amazon-cloudwatch-agent",
      "sudo ln -sf /usr/bin/node-22 /usr/bin/node",
      "sudo useradd --system --no-create-home --shell /sbin/nologin vettid",
      "sudo usermod -aG ne vettid",
      "sudo install -d -m 0755 /opt/vettid/vsock-proxy /etc/nitro_enclaves",
      "sudo install -m 0444 /tmp/vsock-proxy.js /opt/vettid/vsock-proxy/vsock-proxy.js",
      "sudo install -m 0644 /tmp/host/allocator.yaml /etc/nitro_enclaves/allocator.yaml",
      "sudo install -m 0644 /tmp/host/systemd/*.service /etc/systemd/system/",
      "sudo install -m 0644 /tmp/host/logrotate-vettid /etc/logrotate.d/vettid",
      "sudo systemctl daemon-reload",
      "sudo systemctl enable nitro-enclaves-allocator.service",
      # No SSH in the image: Session Manager is the only way in.
      "sudo systemctl disable sshd.service",
      "sudo systemctl mask sshd.service",
    ]
  }
  post-processor "manifest" {
    output = "dist/ami/vault-host-manifest.json"
  }
  post-processor "shell-local" {
    inline = [
      "ami=$(jq -r '.builds[-1].artifact_id' dist/ami/vault-host-manifest.json | cut -d: -f2)",
      "aws ssm put-parameter --region ${var.region} --name /vettid/${var.env}/ami/vault-host --type String --data-type aws:ec2:image --overwrite --value \"$ami\"",
    ]
  }
}

build {
  name = "nats"
  source "source.amazon-ebs.al2023" {
    name          = "nats_node"
    instance_type = "t3.medium"
    ami_name      = "vettid-${var.env}-nats-{{timestamp}}"
    tags          = merge(local.common_tags, { Role = "nats" })
  }

  # The builder instance has no internet route (private subnet, endpoints only): the
  # release is fetched and checked on the machine running Packer, then uploaded.
  provisioner "shell-local" {
    inline = [
      "set -euo pipefail",
      "mkdir -p dist/ami && curl -fsSLo dist/ami/nats.tar.gz https://github.com/nats-io/nats-server/releases/download/v${var.nats_version}/nats-server-v${var.nats_version}-linux-amd64.tar.gz",
      "echo '${var.nats_sha256}  dist/ami/nats.tar.gz' | sha256sum --check --strict",
    ]
  }
  provisioner "file" {
    source      = "dist/ami/nats.tar.gz"
    destination = "/tmp/nats.tar.gz"
  }
  provisioner "shell" {
    inline = [
      "set -euo pipefail",
      # AL2023 package repositories are S3-hosted: reachable through the S3 gateway endpoint.
      # openssl makes the node's TLS keys and CSRs at boot (the private CA signs them, decision 0064).
      "sudo dnf install -y jq openssl",
      "echo '${var.nats_sha256}  /tmp/nats.tar.gz' | sha256sum --check --strict",
      "tar -xzf /tmp/nats.tar.gz -C /tmp && sudo install -m 0755 /tmp/nats-server-v${var.nats_version}-linux-amd64/nats-server /usr/local/bin/nats-server",
      "sudo useradd --system --no-create-home --shell /sbin/nologin nats",
      "sudo install -d -o nats -g nats -m 0750 /etc/nats",
      "printf '%s\\n' '[Unit]' 'Description=NATS server (JetStream)' 'After=network-online.target local-fs.target' '[Service]' 'User=nats' 'ExecStart=/usr/local/bin/nats-server -c /etc/nats/nats.conf' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=always' 'LimitNOFILE=65536' 'NoNewPrivileges=yes' 'ProtectSystem=full' '[Install]' 'WantedBy=multi-user.target' | sudo tee /etc/systemd/system/nats-server.service",
      "sudo systemctl daemon-reload",
      "sudo systemctl disable sshd.service",
      "sudo systemctl mask sshd.service",
    ]
  }
  post-processor "manifest" {
    output = "dist/ami/nats-manifest.json"
  }
  post-processor "shell-local" {
    inline = [
      "ami=$(jq -r '.builds[-1].artifact_id' dist/ami/nats-manifest.json | cut -d: -f2)",
      "aws ssm put-parameter --region ${var.region} --name /vettid/${var.env}/ami/nats --type String --data-type aws:ec2:image --overwrite --value \"$ami\"",
    ]
  }
}

#!/usr/bin/env bash
# Builds the enclave image file (EIF) of one environment and its release record.
# Runs on a release builder with docker (buildx) and the Nitro Enclaves CLI; the
# release workflow calls it, then signs a manifest with the record (bin/vettid manifest)
# and uploads the EIF to s3://<artifact bucket>/enclave/<release id>/vault.eif.
#
#   ami/enclave/build-eif.sh <dev|staging|prod> <out-dir> <runtime-config.json>
#
# The runtime configuration (vault-enclave/config: KMS region, endpoint name and sealing
# key ARN, trust roots, the runtime's own NATS connection, manifest key) is part of the
# measured image: ami/write-runtime-config.ts writes it from the deployed stacks' outputs
# and the release's runtime-nats-key.json (docs/infrastructure.md "First release").
set -euo pipefail
env="${1:?environment}"
out="${2:?output directory}"
runtime_config="${3:?runtime configuration (runtime-config.json)}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)"
mkdir -p "$out"

# 1. The runtime's image context: the deterministic bundle, koffi's addon and their
#    file list (npm run build:enclave; same commit → same bytes).
(cd "$root" && npm ci --no-audit --no-fund && rm -rf dist/enclave && npm run build:enclave)
(cd "$root" && npx tsx ami/check-runtime-config.ts "$env" "$runtime_config")
install -m 0444 "$runtime_config" "$root/dist/enclave/runtime-config.json"

# 2. The vsock bridge (socat and its libraries from Debian's archive), exported into the
#    context and checked here, outside the build, against the committed digests; then
#    the context must hold exactly the files of the two lists.
ctx="$root/dist/enclave"
docker buildx build --target vsock-bridge --output "type=local,dest=$ctx/vsock-bridge" \
  -f "$root/ami/enclave/Dockerfile" "$root/ami/enclave"
(cd "$ctx" && sha256sum --strict -c image-files.sha256 && sha256sum --strict -c "$root/ami/enclave/vsock-bridge.sha256")
diff <(cd "$ctx" && find vault-runtime.js native vsock-bridge runtime-config.json -type f | LC_ALL=C sort) \
     <( (cat "$ctx/image-files.sha256" "$root/ami/enclave/vsock-bridge.sha256" | awk '{print $2}'; echo runtime-config.json) | LC_ALL=C sort)

# 3. The container image with timestamps pinned to the commit, so layers reproduce.
export SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct)"
docker buildx build \
  --build-arg VETTID_ENV="$env" \
  --build-arg SOURCE_DATE_EPOCH \
  --output "type=docker,name=vettid-vault:$commit-$env,rewrite-timestamp=true" \
  -f "$root/ami/enclave/Dockerfile" "$root/dist/enclave"

# 4. The EIF and its measurements.
nitro-cli build-enclave --docker-uri "vettid-vault:$commit-$env" --output-file "$out/vault.eif" > "$out/build-enclave.json"
nitro-cli describe-eif --eif-path "$out/vault.eif" > "$out/describe-eif.json"

# 5. The release record (one element of the manifest's releases).
(cd "$root" && npx tsx ami/release-record.ts \
  --describe-eif "$out/describe-eif.json" \
  --commit "$commit" \
  --bundle-sha384 "$(cat dist/enclave/vault-runtime.sha384)" \
  --eif-sha384 "$(sha384sum "$out/vault.eif" | cut -d' ' -f1)") > "$out/release-record.json"
echo "wrote $out/vault.eif and $out/release-record.json"

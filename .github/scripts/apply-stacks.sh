#!/usr/bin/env bash
# Applies the synthesized stacks named in $STACKS, in that order, with whatever AWS
# credentials the calling step holds. Before `keys` it checks that the CDN serves the
# committed manifest: the sealing key policy admits the PCR0s of that manifest.
set -euo pipefail
for stack in $STACKS; do
  if [ "$stack" = keys ]; then
    url="$(terraform -chdir=cdktf.out/stacks/release output -raw manifest-url)"
    curl -fsS --retry 10 --retry-delay 15 --retry-all-errors "$url" -o published-manifest.json
    cmp published-manifest.json "stacks/config/release/$VETTID_ENV/pcr-manifest.json" \
      || { echo "::error::the CDN does not serve the committed manifest yet"; exit 1; }
  fi
  echo "::group::apply $stack"
  terraform -chdir="cdktf.out/stacks/$stack" init -lockfile=readonly -upgrade=false
  terraform -chdir="cdktf.out/stacks/$stack" apply -auto-approve
  echo "::endgroup::"
done

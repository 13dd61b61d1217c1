#!/usr/bin/env bash
# Applies the saved plans of the stacks named in $STACKS, in that order, with whatever
# AWS credentials the calling step holds. Each plan is cdktf.out/stacks/<stack>/tfplan
# from the plan job, the one the reviewers approved: `terraform apply tfplan` applies
# exactly it (no new plan) and refuses it when the stack's state changed since it was
# made. A stack the plan job deferred (cdktf.out/deferred-stacks) is skipped; the next
# run plans it.
#
# Before `keys` it checks that the CDN serves the committed manifest, whose PCR0s the
# sealing key policy admits; before the environment's first release no manifest is
# committed and the policy admits no enclave, so there is nothing to serve.
set -euo pipefail
out=cdktf.out
manifest="stacks/config/release/$VETTID_ENV/pcr-manifest.json"
for stack in $STACKS; do
  dir="$out/stacks/$stack"
  if [ ! -f "$dir/tfplan" ]; then
    if grep -qx "$stack" "$out/deferred-stacks"; then
      echo "::notice::$stack was deferred by the plan job: run the workflow again to plan and apply it"
      continue
    fi
    echo "::error::no saved plan for $stack"
    exit 1
  fi
  cmp "$dir/.terraform.lock.hcl" stacks/terraform/.terraform.lock.hcl \
    || { echo "::error::$dir/.terraform.lock.hcl is not the committed lock file"; exit 1; }
  terraform -chdir="$dir" init -input=false -lockfile=readonly -upgrade=false
  if [ "$stack" = keys ]; then
    if [ -f "$manifest" ]; then
      terraform -chdir="$out/stacks/release" init -input=false -lockfile=readonly -upgrade=false >/dev/null
      url="$(terraform -chdir="$out/stacks/release" output -raw manifest-url)"
      curl -fsS --retry 10 --retry-delay 15 --retry-all-errors "$url" -o published-manifest.json
      cmp published-manifest.json "$manifest" \
        || { echo "::error::the CDN does not serve the committed manifest yet"; exit 1; }
    else
      echo "::notice::$VETTID_ENV has no signed release manifest yet: the sealing key approves no enclave"
    fi
  fi
  echo "::group::apply $stack"
  terraform -chdir="$dir" apply -input=false tfplan
  echo "::endgroup::"
done

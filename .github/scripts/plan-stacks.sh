#!/usr/bin/env bash
# Plans the synthesized stacks in $STACK_ORDER with whatever (read-only) AWS credentials
# the calling step holds, and saves each plan as cdktf.out/stacks/<stack>/tfplan beside
# the cdk.tf.json and .terraform.lock.hcl it was made from: the deploy job applies
# exactly these files, after the environment's reviewers read them.
#
# A stack is planned only when the outputs it reads from other stacks (CDKTF's
# cross-stack remote-state reads) stay as they are in this run. When an earlier stack's
# plan changes an output it reads, or that earlier stack was itself deferred, its plan
# would be made from values about to change (on an environment's first deploy, from
# outputs that do not exist yet): it is listed in cdktf.out/deferred-stacks instead, and
# the next run of the workflow plans it against the applied outputs.
set -euo pipefail
out=cdktf.out
: > "$out/deferred-stacks"
for stack in $STACK_ORDER; do
  dir="$out/stacks/$stack"
  test -f "$dir/.terraform.lock.hcl" || { echo "::error::$dir has no .terraform.lock.hcl"; exit 1; }
  waits=""
  for upstream in $(jq -r '.data.terraform_remote_state // {} | keys[] | sub("^cross-stack-reference-input-"; "")' "$dir/cdk.tf.json"); do
    if grep -qx "$upstream" "$out/deferred-stacks"; then
      waits="$waits $upstream"
      continue
    fi
    while read -r output; do
      if [ -n "$output" ] && grep -qE "cross-stack-reference-input-${upstream}\.outputs\.${output}([^A-Za-z0-9_-]|\$)" "$dir/cdk.tf.json"; then
        waits="$waits $upstream"
        break
      fi
    done < "$out/stacks/$upstream/changed-outputs"
  done
  if [ -n "$waits" ]; then
    echo "$stack" >> "$out/deferred-stacks"
    echo "::notice::$stack is not planned in this run: it reads outputs of$waits that change first"
    { echo "### $stack"; echo "deferred: reads outputs of$waits that change first; the next run plans it"; } >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
    continue
  fi
  echo "::group::plan $stack"
  terraform -chdir="$dir" init -input=false -lockfile=readonly -upgrade=false
  terraform -chdir="$dir" plan -input=false -lock=false -no-color -out=tfplan | tee "$dir/plan.txt"
  terraform -chdir="$dir" show -json tfplan > "$dir/plan.json"
  echo "::endgroup::"
  jq -r '.output_changes // {} | to_entries[] | select(.value.actions != ["no-op"]) | .key' "$dir/plan.json" > "$dir/changed-outputs"
  { echo "### $stack"; echo '```'; tail -n 40 "$dir/plan.txt"; echo '```'; } >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
done

/** Builds a throwaway one-concern stack and returns its synthesized Terraform, for rule examples. */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "../../stacks/cdktf";
import type { Synth, TerraformJson } from "./terraform";

export function synthFresh(build: (stack: TerraformStack) => void): Synth {
  const app = Testing.app({ stackTraces: false });
  const stack = new TerraformStack(app, "fresh");
  new AwsProvider(stack, "aws", { region: "eu-central-1" });
  build(stack);
  return { fresh: JSON.parse(Testing.synth(stack)) as TerraformJson };
}

/** A context whose only active PCR0 is 96 × "a", with the release role of account 1. */
export const CONTEXT = { activePcr0s: ["a".repeat(96)], releaseRoleArn: "arn:aws:iam::1:role/release" };

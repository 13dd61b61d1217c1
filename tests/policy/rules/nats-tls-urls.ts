import { block, finding, type PolicyRule, type ResourceRef, resources } from "../terraform";

/** Where the stacks hand NATS URLs to clients: handler environments and host user data. */
const CLIENT_CONFIG = ["aws_lambda_function", "aws_launch_template", "aws_instance"] as const;

/** A plaintext NATS client URL (`nats-route://` is a route URL, whose TLS the cluster block sets). */
const PLAINTEXT = /\bnats:\/\/[^\s",]+/g;

/** The text a resource hands to its clients: Lambda variables, user data (decoded from `base64encode("…")`). */
function clientText(ref: ResourceRef): string {
  if (ref.type === "aws_lambda_function") return JSON.stringify(block(ref.body.environment)?.variables ?? {});
  const raw = String(ref.body.user_data ?? "");
  const call = /^\$\{base64encode\((".*")\)\}$/s.exec(raw);
  return call?.[1] !== undefined ? (JSON.parse(call[1]) as string) : raw;
}

/**
 * Every NATS URL the stacks give a client is `tls://`: the edge's `VETTID_NATS_URLS`, the
 * vault hosts' `VETTID_NATS_URL`, anything in a NATS node's user data, the stack outputs.
 * The stacks describe AWS environments only, dev included; plaintext NATS is the loopback
 * topology's (`npm start`), never synthesized (decision 0064).
 */
export const natsTlsUrls: PolicyRule = {
  id: "nats-tls-urls",
  description: "NATS client URLs in handler environments, user data and outputs are tls://",
  check(synth) {
    const findings = CLIENT_CONFIG.flatMap((type) => resources(synth, type)).flatMap((ref) => {
      const plain = clientText(ref).match(PLAINTEXT) ?? [];
      return plain.length === 0 ? [] : [finding(this.id, ref, `hands out plaintext NATS URLs: ${plain.join(", ")}`)];
    });
    for (const [stack, tf] of Object.entries(synth)) {
      for (const [name, output] of Object.entries((tf.output ?? {}) as Record<string, { value?: unknown }>)) {
        const plain = JSON.stringify(output.value ?? "").match(PLAINTEXT) ?? [];
        if (plain.length > 0) {
          findings.push({ rule: this.id, stack, address: `output.${name}`, message: `plaintext NATS URL ${plain[0]}` });
        }
      }
    }
    return findings;
  },
};

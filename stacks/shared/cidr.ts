/**
 * Subnet `index` of a /16 VPC as a /20: 16 subnets of 4,096 addresses each, so every AZ
 * gets room for a fleet plus endpoints. Computed here (not with Terraform's cidrsubnet)
 * so fixed node addresses can be derived at synth time.
 * @throws Error when the VPC is not a /16 or the index does not fit.
 */
export function subnetCidr(vpcCidr: string, index: number): string {
  const [a, b] = parseSlash16(vpcCidr);
  if (!Number.isInteger(index) || index < 0 || index > 15) throw new Error(`subnet index ${index} out of 0..15`);
  return `${a}.${b}.${index * 16}.0/20`;
}

/** Host `host` (≥ 4: AWS reserves the first four) of subnet `index`. */
export function hostAddress(vpcCidr: string, index: number, host: number): string {
  const [a, b] = parseSlash16(vpcCidr);
  if (!Number.isInteger(host) || host < 4 || host > 254) throw new Error(`host ${host} out of 4..254`);
  subnetCidr(vpcCidr, index);
  return `${a}.${b}.${index * 16}.${host}`;
}

function parseSlash16(cidr: string): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(cidr);
  const a = Number(m?.[1]);
  const b = Number(m?.[2]);
  if (m === null || a > 255 || b > 255) throw new Error(`VPC CIDR ${cidr} must be a /16 like 10.40.0.0/16`);
  return [a, b];
}

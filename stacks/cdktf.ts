/**
 * The one place that imports the CDKTF core library. CDKTF is unmaintained upstream;
 * CDK Terrain (`cdktn`) is its drop-in successor, so switching means changing the
 * module name below (and the dependency in package.json) — see
 * docs/decisions/0041-cdktf-core-behind-one-module.md. Provider classes are imported by
 * deep path in each stack file (`@cdktf/provider-aws/lib/<resource>`), never the barrel.
 */
export {
  App,
  AssetType,
  Fn,
  Lazy,
  LocalBackend,
  S3Backend,
  TerraformAsset,
  TerraformOutput,
  TerraformStack,
  Testing,
  Token,
} from "cdktf";

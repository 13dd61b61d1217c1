/**
 * A function that is not a REST route: no API Gateway route, no invoke permission for
 * API Gateway or anyone else; only its trigger (an event source mapping) invokes it.
 */
export interface WorkerDefinition {
  /** Bundle and function name, e.g. `revocations-publish`. */
  name: string;
  /**
   * What invokes it. `revocations-stream`: the edge table's DynamoDB stream, filtered to
   * the revocation item (the stacks build the mapping).
   */
  trigger: "revocations-stream";
  summary: string;
  /** Environment variables its bundle reads. */
  env: string[];
}

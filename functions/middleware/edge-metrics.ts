import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { toVettidError } from "../../lib/errors";
import type { EdgeMiddleware } from "./types";

/** CloudWatch namespace of the edge's metrics (EMF in each function's log). */
export const EDGE_METRICS_NAMESPACE = "VettID/Edge";

/** The edge's business metrics: counts, dimension `service` (one per function). */
export const EDGE_METRICS = {
  /** Every request a function answered. */
  requests: "Requests",
  /** A request refused with a 4xx; dimension `code` (the stable error code). */
  refusals: "Refusals",
  /** Successes of the routes that name one (RouteDefinition.successMetric). */
  enrollments: "Enrollments",
  invitationsCreated: "InvitationsCreated",
  credentialRefreshes: "CredentialRefreshes",
  deviceRevocations: "DeviceRevocations",
  pairingInvitations: "PairingInvitations",
} as const;

export type EdgeSuccessMetric =
  | typeof EDGE_METRICS.enrollments
  | typeof EDGE_METRICS.invitationsCreated
  | typeof EDGE_METRICS.credentialRefreshes
  | typeof EDGE_METRICS.deviceRevocations
  | typeof EDGE_METRICS.pairingInvitations;

/** Options of {@link edgeMetrics}. */
export interface EdgeMetricsOptions {
  metrics: Metrics;
  /** Counted once per successful request of this route. */
  successMetric?: EdgeSuccessMetric;
}

/**
 * Counts each request, its route's success metric, and each refusal by error code
 * (a separate EMF document with the `code` dimension). Powertools' `logMetrics`
 * writes them as EMF when the request ends. Use it before problemJson, so its
 * onError sees the problem response problemJson made.
 */
export function edgeMetrics(options: EdgeMetricsOptions): EdgeMiddleware {
  const { metrics, successMetric } = options;
  return {
    after: async (request) => {
      metrics.addMetric(EDGE_METRICS.requests, MetricUnit.Count, 1);
      const status = request.response?.statusCode ?? 0;
      if (successMetric && status >= 200 && status < 300) metrics.addMetric(successMetric, MetricUnit.Count, 1);
    },
    onError: async (request) => {
      metrics.addMetric(EDGE_METRICS.requests, MetricUnit.Count, 1);
      const error = toVettidError(request.error);
      if (error.httpStatus < 500) {
        const refusal = metrics.singleMetric();
        refusal.addDimension("code", error.code);
        refusal.addMetric(EDGE_METRICS.refusals, MetricUnit.Count, 1);
      }
    },
  };
}

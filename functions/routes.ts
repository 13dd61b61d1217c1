import * as adminDevicesRevoke from "./devices/admin-revoke";
import * as devicesCredentials from "./devices/credentials";
import * as devicesPairingInvitations from "./devices/pairing-invitations";
import * as devicesRevoke from "./devices/revoke";
import * as devicesVaultIdentity from "./devices/vault-identity";
import * as enrollmentsCreate from "./enrollments/create";
import * as healthGet from "./health/get";
import * as invitationsCreate from "./invitations/create";
import * as invitationsList from "./invitations/list";
import * as invitationsRevoke from "./invitations/revoke";
import * as manifestGet from "./manifest/get";
import * as revocationsPublish from "./revocations/publish";
import type { RouteDefinition } from "./shared/route";
import type { WorkerDefinition } from "./shared/worker";

/** One bundled function: its route and its entry file (relative to functions/). */
export interface FunctionEntry {
  // biome-ignore lint/suspicious/noExplicitAny: the registry holds routes of different contexts
  route: RouteDefinition<any>;
  entry: string;
}

/** Every REST route, one Lambda function each (build, OpenAPI, local adapter). */
export const FUNCTIONS: FunctionEntry[] = [
  { route: healthGet.route, entry: "health/get.ts" },
  { route: manifestGet.route, entry: "manifest/get.ts" },
  { route: invitationsCreate.route, entry: "invitations/create.ts" },
  { route: invitationsList.route, entry: "invitations/list.ts" },
  { route: invitationsRevoke.route, entry: "invitations/revoke.ts" },
  { route: enrollmentsCreate.route, entry: "enrollments/create.ts" },
  { route: devicesCredentials.route, entry: "devices/credentials.ts" },
  { route: devicesRevoke.route, entry: "devices/revoke.ts" },
  { route: devicesPairingInvitations.route, entry: "devices/pairing-invitations.ts" },
  { route: devicesVaultIdentity.route, entry: "devices/vault-identity.ts" },
  { route: adminDevicesRevoke.route, entry: "devices/admin-revoke.ts" },
];

/** One bundled function that is not a route: its definition and entry file (relative to functions/). */
export interface WorkerEntry {
  worker: WorkerDefinition;
  entry: string;
}

/** Functions that no route reaches: the internet cannot invoke them (build, stacks, local topology). */
export const WORKERS: WorkerEntry[] = [{ worker: revocationsPublish.worker, entry: "revocations/publish.ts" }];

/** Starting real nats-server processes for tests and the local topology (dev only). */
export {
  describeNatsServer,
  findNatsServer,
  type NatsServerBinary,
  NatsServerBinaryError,
  NatsServerNotFoundError,
  natsServerVersion,
} from "./find-binary";
export { freePort } from "./free-port";
export {
  type NatsCluster,
  type NatsServer,
  type NatsServerOptions,
  startNatsCluster,
  startNatsServer,
  waitForRoutes,
} from "./nats-server";

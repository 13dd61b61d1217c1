/**
 * Formats a standard NATS credentials file (what `nats`, nats.js `credsAuthenticator`
 * and the Go client read): the user JWT block, then the nkey seed block.
 */
export function formatCreds(userJwt: string, userSeed: string): string {
  return [
    "-----BEGIN NATS USER JWT-----",
    userJwt,
    "------END NATS USER JWT------",
    "",
    "************************* IMPORTANT *************************",
    "NKEY Seed printed below can be used to sign and prove identity.",
    "NKEYs are sensitive and should be treated as secrets.",
    "",
    "-----BEGIN USER NKEY SEED-----",
    userSeed,
    "------END USER NKEY SEED------",
    "",
    "*************************************************************",
    "",
  ].join("\n");
}

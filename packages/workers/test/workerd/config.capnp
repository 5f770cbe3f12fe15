# workerd configuration for the tests (test/mail-to-webhook.test.ts). The test copies this file
# into a temporary folder next to what it embeds: `harness.js` (test/workerd/harness.ts and the
# example Worker, bundled) and `ca.crt` (the test PKI's CA, made fresh for each run).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    # The Worker's outbound: `fetch` to the webhook and `connect()` to the POP3 servers. The
    # tests' servers are on 127.0.0.1, which workerd refuses unless "local" is allowed. TLS
    # trusts the test CA and nothing else.
    (name = "internet", network = (
      allow = ["public", "local"],
      tlsOptions = (trustedCertificates = [ embed "ca.crt" ]),
    )),
  ],
  # Port 0: workerd reports the port it got on --control-fd.
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const mainWorker :Workerd.Worker = (
  modules = [ (name = "harness.js", esModule = embed "harness.js") ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "POP3_HOST", text = "127.0.0.1"),
    (name = "POP3_USER", text = "alice"),
    (name = "POP3_PASSWORD", fromEnvironment = "APOP_POP3_PASSWORD"),
    (name = "WEBHOOK_URL", fromEnvironment = "APOP_WEBHOOK_URL"),
    (name = "WEBHOOK_TOKEN", fromEnvironment = "APOP_WEBHOOK_TOKEN"),
  ],
  globalOutbound = "internet",
);

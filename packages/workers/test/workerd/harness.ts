/**
 * The Worker the tests run under workerd: the example Worker, plus test-only routes. workerd
 * has no cron scheduler of its own, so `POST /scheduled` calls the example's `scheduled`
 * handler as a cron trigger would, and answers with what its run did.
 *
 * - `POST /scheduled`, body: settings that replace the Worker's (`POP3_PORT`, `POP3_TLS`,
 *   ...). Answers `{ result }` or `{ error }`.
 * - `POST /capa`, body `{ host, port, tls }` or `{ url }` (through `connectUrl`): connects
 *   with `@apop/workers`, sends CAPA inside TLS, QUITs. Answers `{ secure, capabilities }`
 *   (null when CAPA was refused) or `{ error }`.
 */
import { connect, connectUrl, type TlsMode } from "@apop/workers";
import worker, { type Env } from "../../example/mail-to-webhook.ts";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    try {
      if (request.method === "POST" && path === "/scheduled") {
        const settings = (await request.json()) as Partial<Env>;
        const runs: Promise<unknown>[] = [];
        worker.scheduled(
          { cron: "* * * * *", scheduledTime: Date.now() },
          { ...env, ...settings },
          { waitUntil: (promise) => runs.push(promise) },
        );
        return Response.json({ result: (await Promise.all(runs))[0] });
      }
      if (request.method === "POST" && path === "/capa") {
        const { host, port, tls, url } = (await request.json()) as {
          host: string;
          port: number;
          tls: TlsMode;
          url?: string;
        };
        const client =
          url === undefined ? await connect({ host, port, tls }) : await connectUrl(url);
        const capabilities = await client.capa();
        const secure = client.secure;
        await client.quit();
        return Response.json({
          secure,
          capabilities: capabilities === null ? null : [...capabilities.keys()],
        });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      const { name, message, code } = error as { name?: string; message?: string; code?: string };
      return Response.json({ error: { name, code, message } });
    }
  },
};

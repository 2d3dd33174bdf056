/**
 * A mesh PKI made by the installed `swarm tls` (as an operator makes one): a mesh CA,
 * server certificates, a client certificate `agent`, and an `agent` of another CA.
 *
 * @module
 */
import { runSwarmOk } from "./_node.ts";

/** Options of {@link makeCliPki}. */
export interface CliPkiOptions {
  /** Server certificates to issue: name and the IP it is for (localhost is added). */
  servers: Array<[name: string, ip: string]>;
  /** Directory to make it in (`mesh/` and `other/` inside); a fresh temp dir when absent. */
  dir?: string;
}

/** What {@link makeCliPki} made. */
export interface CliPki {
  /** Directory of the mesh CA and its certificates (`NAME.crt`, `NAME.key`). */
  dir: string;
  /** The mesh CA certificate (PEM) and its path. */
  ca: string;
  caPath: string;
  /** A client certificate from the mesh CA (PEM). */
  agent: { cert: string; key: string };
  /** A client certificate from another CA (PEM). */
  rogueAgent: { cert: string; key: string };
  /** Removes what was made. */
  cleanup(): Promise<void>;
}

/** Makes a mesh CA, the server certificates asked for, and two client certificates. */
export async function makeCliPki(options: CliPkiOptions): Promise<CliPki> {
  const root = options.dir ?? await Deno.makeTempDir({ prefix: "swarm-pki-" });
  const dir = `${root}/mesh`;
  const other = `${root}/other`;
  await runSwarmOk(["tls", "init", "--dir", dir]);
  for (const [name, ip] of options.servers) {
    await runSwarmOk(["tls", "issue", name, "--dir", dir, "--ip", ip, "--dns", "localhost"]);
  }
  await runSwarmOk(["tls", "issue", "agent", "--dir", dir, "--client"]);
  await runSwarmOk(["tls", "init", "--dir", other]);
  await runSwarmOk(["tls", "issue", "agent", "--dir", other, "--client"]);
  const read = (path: string) => Deno.readTextFileSync(path);
  return {
    dir,
    ca: read(`${dir}/ca.crt`),
    caPath: `${dir}/ca.crt`,
    agent: { cert: read(`${dir}/agent.crt`), key: read(`${dir}/agent.key`) },
    rogueAgent: { cert: read(`${other}/agent.crt`), key: read(`${other}/agent.key`) },
    cleanup: () => Deno.remove(root, { recursive: true }).catch(() => {}),
  };
}

/**
 * `swarm tls`: a small mesh CA for people who do not run a PKI. `init` creates the CA,
 * `issue` signs node and client certificates, `show` prints what a certificate says.
 *
 * @module
 */
import { join } from "node:path";
import {
  type CertificateInfo,
  type CertificateUsage,
  checkCommonName,
  checkDnsName,
  checkIpAddress,
  checkValidDays,
  createMeshCa,
  DEFAULT_CA_DAYS,
  DEFAULT_CA_NAME,
  DEFAULT_CERT_DAYS,
  describeCertificate,
  ensureKeyDirectory,
  existingPaths,
  issueCertificate,
  MAX_VALID_DAYS,
  parsePemCertificates,
  writeCertificateAndKey,
} from "../security/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { EXIT_OK, parseCliArgs, reportError, UsageError } from "./_usage.ts";

/** Environment variable giving the default of `--dir`. */
export const TLS_DIR_ENV = "SWARM_TLS_DIR";
/** File name of the CA certificate inside `--dir`. */
export const CA_CERT_FILE = "ca.crt";
/** File name of the CA private key inside `--dir`. */
export const CA_KEY_FILE = "ca.key";

/** Help text of `swarm tls`. */
export const TLS_HELP = `Usage:
  swarm tls init --dir DIR [--name NAME] [--days N] [--force]
  swarm tls issue NAME --dir DIR [--dns HOST]... [--ip ADDRESS]... [--server | --client]
                  [--days N] [--out-dir DIR] [--force]
  swarm tls show FILE... [--json]

Certificates for a mesh without a PKI: one small CA signs every node and client
certificate; nodes trust the CA. Keys are ECDSA P-256, PKCS#8 PEM.

init    Create the mesh CA: DIR/${CA_CERT_FILE} (certificate, mode 0644, give it to every
        node and client) and DIR/${CA_KEY_FILE} (private key, mode 0600, keep it secret).
        DIR is created with mode 0700 when missing.
  --name NAME      CA common name (default "${DEFAULT_CA_NAME}")
  --days N         validity in days, 1-${MAX_VALID_DAYS} (default ${DEFAULT_CA_DAYS})
  --force          replace an existing CA; certificates it signed stop being trusted

issue   Sign a certificate for NAME with DIR/${CA_CERT_FILE} and DIR/${CA_KEY_FILE}: writes
        OUT/NAME.crt (mode 0644) and OUT/NAME.key (mode 0600). NAME is the subject
        common name, the identity mTLS hands to authorization, and the file name:
        letters, digits, '.', '_', '-', not starting with '.', not "ca".
  --dns HOST       DNS name peers use to reach the node (repeatable; '*' allowed as
                   the first label). Default, when no --dns and no --ip: NAME alone
  --ip ADDRESS     IPv4 or IPv6 address peers use to reach the node (repeatable)
  --server         TLS server use only (extended key usage serverAuth)
  --client         TLS client use only (clientAuth); default: both, as a mesh node
                   serves and calls its peers
  --days N         validity in days, 1-${MAX_VALID_DAYS} (default ${DEFAULT_CERT_DAYS}); never
                   past the CA's own end of validity
  --out-dir DIR    where to write (default: --dir); created with mode 0700 when missing
  --force          replace existing OUT/NAME.crt and OUT/NAME.key

show    Print subject, issuer, validity, names, usages and SHA-256 fingerprint of
        every certificate in each FILE.
  --json           print a JSON array, one object per certificate

Common options:
  --dir DIR        the CA directory (default $${TLS_DIR_ENV})
  -h, --help       show this help

Exit status: 0 on success, 1 when the work failed (files exist, no CA, bad
certificate), 2 on a usage mistake.`;

/** `swarm tls --help` or `swarm tls SUBCOMMAND --help`. */
export interface TlsHelpArgs {
  /** Which subcommand. */
  command: "help";
}

/** Parsed `swarm tls init`. */
export interface TlsInitArgs {
  /** Which subcommand. */
  command: "init";
  /** `--dir`, else `$SWARM_TLS_DIR`: where `ca.crt` and `ca.key` go. */
  dir: string;
  /** `--name`: the CA common name. */
  name: string;
  /** `--days`: CA validity in days. */
  days: number;
  /** `--force`: replace an existing CA. */
  force: boolean;
}

/** Parsed `swarm tls issue`. */
export interface TlsIssueArgs {
  /** Which subcommand. */
  command: "issue";
  /** NAME: common name and base file name. */
  name: string;
  /** `--dir`, else `$SWARM_TLS_DIR`: where the CA is. */
  dir: string;
  /** `--out-dir`, else `dir`: where the certificate and key go. */
  outDir: string;
  /** `--dns` values, lower-cased; empty with no `--ip` means NAME is the DNS name. */
  dns: string[];
  /** `--ip` values, canonical. */
  ips: string[];
  /** From `--server`/`--client`; `both` when neither or both were given. */
  usage: CertificateUsage;
  /** `--days`: validity in days. */
  days: number;
  /** `--force`: replace existing files. */
  force: boolean;
}

/** Parsed `swarm tls show`. */
export interface TlsShowArgs {
  /** Which subcommand. */
  command: "show";
  /** The PEM files to describe. */
  files: string[];
  /** `--json`: print JSON. */
  json: boolean;
}

/** Parsed arguments of `swarm tls`, one shape per subcommand. */
export type TlsArgs = TlsHelpArgs | TlsInitArgs | TlsIssueArgs | TlsShowArgs;

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Parses the arguments of `swarm tls` (those after `tls`). Names, addresses and
 * validity are checked here, so a mistake is a usage error before any work.
 *
 * @param argv The arguments after `tls`.
 * @param env The environment, for `SWARM_TLS_DIR`.
 * @throws {UsageError} On a missing or unknown subcommand, an unknown flag, a missing
 * `--dir`, a bad NAME, DNS name, IP address or number of days.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTlsArgs } from "./tls.ts";
 * const args = parseTlsArgs(["issue", "node-a", "--ip", "10.0.0.7"], { SWARM_TLS_DIR: "pki" });
 * assert.ok(args.command === "issue" && args.dir === "pki" && args.outDir === "pki");
 * assert.deepEqual([args.dns, args.ips, args.usage], [[], ["10.0.0.7"], "both"]);
 * ```
 */
export function parseTlsArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
): TlsArgs {
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help" || sub === "help") return { command: "help" };
  if (sub === undefined) throw new UsageError("Missing subcommand: init, issue or show");
  if (sub === "init") return parseInit(rest, env);
  if (sub === "issue") return parseIssue(rest, env);
  if (sub === "show") return parseShow(rest);
  throw new UsageError(`Unknown subcommand '${sub}': expected init, issue or show`);
}

function parseInit(argv: string[], env: Record<string, string | undefined>): TlsArgs {
  const { values } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      dir: { type: "string" },
      name: { type: "string" },
      days: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return { command: "help" };
  return {
    command: "init",
    dir: caDir(values.dir, env),
    name: usage(() => checkCommonName(values.name ?? DEFAULT_CA_NAME)),
    days: parseDays(values.days, DEFAULT_CA_DAYS),
    force: values.force ?? false,
  };
}

function parseIssue(argv: string[], env: Record<string, string | undefined>): TlsArgs {
  const { values, positionals } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      dns: { type: "string", multiple: true },
      ip: { type: "string", multiple: true },
      server: { type: "boolean" },
      client: { type: "boolean" },
      days: { type: "string" },
      "out-dir": { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return { command: "help" };
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "Missing NAME: swarm tls issue NAME --dir DIR"
        : `Expected one NAME, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const name = positionals[0];
  if (!SAFE_NAME.test(name)) {
    throw new UsageError(
      `Invalid NAME '${name}': use letters, digits, '.', '_' and '-', not starting with '.'`,
    );
  }
  if (name.toLowerCase() === "ca") {
    throw new UsageError("Invalid NAME 'ca': it is reserved for the CA's own files");
  }
  usage(() => checkCommonName(name));
  const certUsage: CertificateUsage = values.server && !values.client
    ? "server"
    : values.client && !values.server
    ? "client"
    : "both";
  const dns = (values.dns ?? []).map((host) => usage(() => checkDnsName(host), "--dns"));
  const ips = (values.ip ?? []).map((ip) => usage(() => checkIpAddress(ip), "--ip"));
  if (dns.length === 0 && ips.length === 0 && certUsage !== "client" && !isDnsName(name)) {
    throw new UsageError(
      `NAME '${name}' is not a DNS name, so a server certificate needs --dns HOST or --ip ADDRESS`,
    );
  }
  const dir = caDir(values.dir, env);
  const outDir = values["out-dir"] ?? dir;
  if (outDir === "") {
    throw new UsageError("Option '--out-dir' needs a directory: got an empty value");
  }
  return {
    command: "issue",
    name,
    dir,
    outDir,
    dns,
    ips,
    usage: certUsage,
    days: parseDays(values.days, DEFAULT_CERT_DAYS),
    force: values.force ?? false,
  };
}

function parseShow(argv: string[]): TlsArgs {
  const { values, positionals } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return { command: "help" };
  if (positionals.length === 0) throw new UsageError("Missing FILE: swarm tls show FILE");
  return { command: "show", files: positionals, json: values.json ?? false };
}

function isDnsName(name: string): boolean {
  try {
    checkDnsName(name);
    return true;
  } catch {
    return false;
  }
}

function caDir(flag: string | undefined, env: Record<string, string | undefined>): string {
  const dir = flag ?? env[TLS_DIR_ENV];
  if (dir === undefined || dir === "") {
    throw new UsageError(`Missing --dir: give the CA directory with --dir DIR or $${TLS_DIR_ENV}`);
  }
  return dir;
}

function parseDays(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) {
    throw new UsageError(`Invalid --days '${text}': expected a whole number of days`);
  }
  return usage(() => checkValidDays(Number(text)), "--days");
}

/** Runs a check, turning its `config_invalid` error into a usage error led by `context`. */
function usage<T>(check: () => T, context?: string): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof SwarmError)) throw err;
    throw new UsageError(context === undefined ? err.message : `${context}: ${err.message}`);
  }
}

/**
 * Runs `swarm tls` with the arguments after `tls` and returns the exit code.
 * `$SWARM_TLS_DIR` is the default of `--dir`.
 */
export async function runTls(argv: string[]): Promise<number> {
  try {
    const args = parseTlsArgs(argv, { [TLS_DIR_ENV]: readEnv(TLS_DIR_ENV) });
    switch (args.command) {
      case "help":
        console.log(TLS_HELP);
        return EXIT_OK;
      case "init":
        return await runInit(args);
      case "issue":
        return await runIssue(args);
      case "show":
        return await runShow(args);
    }
  } catch (err) {
    return reportError("tls", err);
  }
}

async function runInit(args: TlsInitArgs): Promise<number> {
  const paths = { certPath: join(args.dir, CA_CERT_FILE), keyPath: join(args.dir, CA_KEY_FILE) };
  await refuseExisting([paths.certPath, paths.keyPath], args.force);
  const ca = await createMeshCa({ commonName: args.name, validDays: args.days });
  await ensureKeyDirectory(args.dir);
  await writeCertificateAndKey(paths, ca, args.force);
  console.log(`Wrote ${paths.certPath} (CA certificate: give it to every node and client)`);
  console.log(`Wrote ${paths.keyPath} (CA private key, mode 0600: keep it secret)`);
  console.log(`Next: swarm tls issue NODE --dir ${args.dir} --dns HOST --ip ADDRESS`);
  return EXIT_OK;
}

async function runIssue(args: TlsIssueArgs): Promise<number> {
  const caCertPath = join(args.dir, CA_CERT_FILE);
  const caKeyPath = join(args.dir, CA_KEY_FILE);
  const [caCertPem, caKeyPem] = [
    await readCa(caCertPath, args.dir),
    await readCa(caKeyPath, args.dir),
  ];
  const paths = {
    certPath: join(args.outDir, `${args.name}.crt`),
    keyPath: join(args.outDir, `${args.name}.key`),
  };
  await refuseExisting([paths.certPath, paths.keyPath], args.force);
  const issued = await issueCertificate({
    caCertPem,
    caKeyPem,
    commonName: args.name,
    dns: args.dns,
    ips: args.ips,
    usage: args.usage,
    validDays: args.days,
  });
  await ensureKeyDirectory(args.outDir);
  await writeCertificateAndKey(paths, issued, args.force);
  const info = await describeCertificate(issued.certPem);
  const names = [
    ...info.dns.map((d) => `DNS:${d}`),
    ...info.ips.map((ip) => `IP:${ip}`),
  ].join(", ") || "no alternative names";
  console.log(
    `Wrote ${paths.certPath} (CN=${args.name}; ${names}; ${
      info.extendedKeyUsages.join(", ")
    }; valid until ${info.notAfter})`,
  );
  console.log(`Wrote ${paths.keyPath} (private key, mode 0600: keep it secret)`);
  console.log(
    args.usage === "client"
      ? `Next: present ${paths.certPath} and ${paths.keyPath} as a client certificate to nodes started with --tls-client-ca ${caCertPath}`
      : `Next: swarm serve --tls-cert ${paths.certPath} --tls-key ${paths.keyPath} --tls-client-ca ${caCertPath} (mTLS; drop --tls-client-ca for TLS only)`,
  );
  return EXIT_OK;
}

async function runShow(args: TlsShowArgs): Promise<number> {
  const shown: (CertificateInfo & { file: string })[] = [];
  for (const file of args.files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      throw configInvalid(`Cannot read ${file}: ${(err as Error).message}`, err);
    }
    const pems = parsePemCertificates(text);
    if (pems.length === 0) throw configInvalid(`No certificate in ${file}`);
    for (const pem of pems) shown.push({ file, ...(await describeCertificate(pem)) });
  }
  console.log(args.json ? JSON.stringify(shown, null, 2) : shown.map(formatInfo).join("\n\n"));
  return EXIT_OK;
}

/** Human-readable lines of one certificate, as `swarm tls show` prints them. */
export function formatCertificateInfo(info: CertificateInfo, now: Date = new Date()): string {
  const state = Date.parse(info.notAfter) <= now.getTime()
    ? " (expired)"
    : Date.parse(info.notBefore) > now.getTime()
    ? " (not yet valid)"
    : "";
  return [
    `subject:      ${info.subject}`,
    `issuer:       ${info.issuer}${info.subject === info.issuer ? " (self-signed)" : ""}`,
    `serial:       ${info.serial}`,
    `valid:        ${info.notBefore} to ${info.notAfter}${state}`,
    `CA:           ${info.isCa ? "yes" : "no"}`,
    `usages:       ${info.extendedKeyUsages.join(", ") || "any"}`,
    `DNS names:    ${info.dns.join(", ") || "none"}`,
    `IP addresses: ${info.ips.join(", ") || "none"}`,
    `SHA-256:      ${info.fingerprint256}`,
  ].join("\n");
}

function formatInfo(info: CertificateInfo & { file: string }): string {
  return `${info.file}\n${formatCertificateInfo(info).replace(/^/gm, "  ")}`;
}

async function refuseExisting(paths: string[], force: boolean): Promise<void> {
  if (force) return;
  const found = await existingPaths(paths);
  if (found.length > 0) {
    throw configInvalid(
      `${found.join(" and ")} already exist${
        found.length === 1 ? "s" : ""
      }: pass --force to replace`,
    );
  }
}

async function readCa(path: string, dir: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw configInvalid(
        `No CA: ${path} is missing, create one with 'swarm tls init --dir ${dir}'`,
        err,
      );
    }
    throw configInvalid(`Cannot read ${path}: ${(err as Error).message}`, err);
  }
}

/** A `config_invalid` error: a file the command needs is missing, unreadable or in the way. */
function configInvalid(message: string, cause?: unknown): SwarmError {
  return new SwarmError("config_invalid", message, {}, cause ? { cause } : undefined);
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: as if unset
  }
}

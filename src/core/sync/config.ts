import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunlensError, errorMessage } from '../errors';

export type RemoteAuth =
  { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

/** Where a team's MLflow server is and how to talk to it. Credentials live only in memory. */
export interface RemoteConfig {
  uri: string;
  /** Where the URI came from, for messages. */
  source: 'flag' | 'runlens.yaml' | 'setting' | 'MLFLOW_TRACKING_URI';
  auth?: RemoteAuth;
  /** MLFLOW_TRACKING_INSECURE_TLS: certificates are not checked (a warning says so). */
  insecureTls: boolean;
  /** remote.mirror in runlens.yaml: push runs while they train. */
  mirror: boolean;
  warnings: string[];
}

export interface RemoteOptions {
  /** --to / --from on the command line. */
  flagUri?: string;
  /** The folder holding runlens.yaml (the workspace, the store's parent). */
  root?: string;
  /** runlens.remote.mlflowUri in VS Code. */
  settingUri?: string;
  /** Credentials kept in VS Code's SecretStorage; they win over the environment. */
  secrets?: RemoteAuth;
  env?: NodeJS.ProcessEnv;
}

/** `remote:` of runlens.yaml in `root`, if any. */
export function readRemoteSection(root: string): { mlflow?: string; mirror?: boolean } | undefined {
  const file = path.join(root, 'runlens.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new RunlensError(`${file}: ${errorMessage(e).split('\n')[0]}`, 'fix the YAML syntax', 'usage');
  }
  if (doc === null || typeof doc !== 'object') return undefined;
  const remote = (doc as Record<string, unknown>).remote;
  if (remote === undefined || remote === null) return undefined;
  if (typeof remote !== 'object' || Array.isArray(remote)) {
    throw new RunlensError(
      `${file}: remote must be a mapping like { mlflow: https://host }`,
      undefined,
      'usage',
    );
  }
  const r = remote as Record<string, unknown>;
  if (r.mlflow !== undefined && typeof r.mlflow !== 'string') {
    throw new RunlensError(
      `${file}: remote.mlflow must be a URI string, got ${JSON.stringify(r.mlflow)}`,
      undefined,
      'usage',
    );
  }
  if (r.mirror !== undefined && typeof r.mirror !== 'boolean') {
    throw new RunlensError(
      `${file}: remote.mirror must be true or false, got ${JSON.stringify(r.mirror)}`,
      undefined,
      'usage',
    );
  }
  return { mlflow: r.mlflow as string | undefined, mirror: r.mirror as boolean | undefined };
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Credentials from the environment, the way MLflow's own client reads them. */
export function authFromEnv(env: NodeJS.ProcessEnv): RemoteAuth | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return { kind: 'bearer', token: env.MLFLOW_TRACKING_TOKEN };
  if (env.MLFLOW_TRACKING_USERNAME || env.MLFLOW_TRACKING_PASSWORD) {
    return {
      kind: 'basic',
      username: env.MLFLOW_TRACKING_USERNAME ?? '',
      password: env.MLFLOW_TRACKING_PASSWORD ?? '',
    };
  }
  return undefined;
}

/**
 * The remote to sync with: --to/--from, else `remote.mlflow` in runlens.yaml, else the setting
 * runlens.remote.mlflowUri, else MLFLOW_TRACKING_URI. Undefined when none is set.
 */
export function findRemote(options: RemoteOptions = {}): RemoteConfig | undefined {
  const env = options.env ?? process.env;
  const section = options.root ? readRemoteSection(options.root) : undefined;
  let uri: string | undefined;
  let source: RemoteConfig['source'] = 'flag';
  if (options.flagUri) uri = options.flagUri;
  else if (section?.mlflow) [uri, source] = [section.mlflow, 'runlens.yaml'];
  else if (options.settingUri) [uri, source] = [options.settingUri, 'setting'];
  else if (env.MLFLOW_TRACKING_URI) [uri, source] = [env.MLFLOW_TRACKING_URI, 'MLFLOW_TRACKING_URI'];
  if (!uri) return undefined;
  uri = uri.trim();
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new RunlensError(
      `the MLflow tracking URI "${uri}" (from ${source}) is not a URL`,
      'use the server address, e.g. http://127.0.0.1:5000 or https://mlflow.example.com',
      'usage',
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RunlensError(
      `the MLflow tracking URI "${uri}" (from ${source}) is not an http(s) server`,
      'sync talks to a tracking server over its REST API; to read an mlruns folder or mlflow.db use `runlens import mlflow`',
      'usage',
    );
  }
  if (parsed.username || parsed.password) {
    throw new RunlensError(
      `the MLflow tracking URI (from ${source}) has credentials in it`,
      'remove them from the URI and set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN instead',
      'usage',
    );
  }
  const warnings: string[] = [];
  const insecureTls = truthy(env.MLFLOW_TRACKING_INSECURE_TLS);
  if (insecureTls && parsed.protocol === 'https:') {
    warnings.push(
      `MLFLOW_TRACKING_INSECURE_TLS is set: the certificate of ${parsed.origin} is NOT checked (anyone on the network path can read and change what is sent)`,
    );
  }
  return {
    uri: uri.replace(/\/+$/, ''),
    source,
    auth: options.secrets ?? authFromEnv(env),
    insecureTls,
    mirror: section?.mirror === true,
    warnings,
  };
}

export function requireRemote(options: RemoteOptions = {}): RemoteConfig {
  const remote = findRemote(options);
  if (!remote) {
    throw new RunlensError(
      'no MLflow tracking server configured',
      'pass --to URI, add `remote: { mlflow: URI }` to runlens.yaml, or set MLFLOW_TRACKING_URI',
      'usage',
    );
  }
  return remote;
}

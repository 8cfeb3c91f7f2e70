import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../errors';
import { Registry } from '../store/registry';
import type { Stage } from '../store/registry';
import type { Store } from '../store/store';
import type { MlflowClient } from './client';
import { MlflowApiError } from './client';
import { pushRun } from './push';

/** Tag of a server model version: the Runlens version it is (pushing again finds it). */
export const RUNLENS_MODEL_VERSION_TAG = 'runlens.model_version';

const MLFLOW_STAGE: Record<Stage, string> = {
  none: 'None',
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};

/**
 * Stages that are also pushed as registered-model aliases (MLflow 2.9+): the alias names the highest
 * version in that stage, so `models:/<name>@production` loads what Runlens calls production.
 */
export const STAGE_ALIASES: Stage[] = ['staging', 'production'];

export interface ModelPushReport {
  versions: {
    model: string;
    version: number;
    mlflowVersion: string;
    created: boolean;
    stage: string;
    /** The aliases on the server that name this version after the push. */
    aliases: string[];
  }[];
  failed: { model: string; version: number; error: string }[];
}

interface ServerVersion {
  name: string;
  version: string;
  run_id?: string;
  current_stage?: string;
  tags?: { key: string; value: string }[];
}

/** The model's aliases on the server (alias -> version). */
async function serverAliases(client: MlflowClient, name: string): Promise<Map<string, string>> {
  const r = await client.call<{ registered_model?: { aliases?: { alias: string; version: string }[] } }>(
    'GET',
    'registered-models/get',
    { name },
  );
  return new Map((r.registered_model?.aliases ?? []).map((a) => [a.alias, a.version]));
}

/**
 * Each stage of STAGE_ALIASES as an alias on the highest version in it; an alias of a stage no
 * version is in any more is removed when it names a version this store pushed (and every version of
 * the model was pushed in this call, so none in that stage was missed).
 */
async function pushAliases(
  client: MlflowClient,
  name: string,
  pushed: ModelPushReport['versions'],
  ours: Set<string>,
  complete: boolean,
): Promise<void> {
  const there = await serverAliases(client, name);
  for (const stage of STAGE_ALIASES) {
    const target = pushed
      .filter((v) => v.stage === MLFLOW_STAGE[stage])
      .sort((a, b) => b.version - a.version)[0];
    if (target) {
      if (there.get(stage) !== target.mlflowVersion) {
        await client.call('POST', 'registered-models/alias', {
          name,
          alias: stage,
          version: target.mlflowVersion,
        });
        there.set(stage, target.mlflowVersion);
      }
    } else if (complete && there.has(stage) && ours.has(there.get(stage)!)) {
      await client.call('DELETE', 'registered-models/alias', { name, alias: stage });
      there.delete(stage);
    }
  }
  for (const v of pushed) {
    v.aliases = [...there].filter(([, version]) => version === v.mlflowVersion).map(([alias]) => alias);
  }
}

function filesOf(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(path.join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

/**
 * Push the registry: each model version becomes a version of the server's registered model, with
 * its source run (pushed first when it was not), its files as artifacts of that run
 * (`runlens-models/<name>/v<N>/`, the version's source), and its stage. Versions already on the
 * server (tag runlens.model_version) are found again, and only their stage is brought up to date.
 */
export async function pushModels(
  store: Store,
  client: MlflowClient,
  names?: string[],
): Promise<ModelPushReport> {
  const registry = new Registry(store);
  const report: ModelPushReport = { versions: [], failed: [] };
  for (const model of registry.listModels()) {
    if (names?.length && !names.includes(model.name)) continue;
    try {
      await client.call('POST', 'registered-models/create', { name: model.name });
    } catch (e) {
      if (!(e instanceof MlflowApiError && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
    }
    const found = await client.call<{ model_versions?: ServerVersion[] }>('GET', 'model-versions/search', {
      filter: `name='${model.name.replace(/'/g, "\\'")}'`,
      max_results: 10_000,
    });
    const pushed: ModelPushReport['versions'] = [];
    const ours = new Set(
      (found.model_versions ?? [])
        .filter((m) => (m.tags ?? []).some((t) => t.key === RUNLENS_MODEL_VERSION_TAG))
        .map((m) => m.version),
    );
    for (const v of [...model.versions].sort((a, b) => a.version - b.version)) {
      try {
        const run = await pushRun(store, client, v.sourceRun);
        let there = (found.model_versions ?? []).find((m) =>
          (m.tags ?? []).some((t) => t.key === RUNLENS_MODEL_VERSION_TAG && t.value === String(v.version)),
        );
        const created = there === undefined;
        if (!there) {
          const info = await client.getRun(run.mlflowRunId);
          const artifactUri = info.info.artifact_uri ?? '';
          const dir = registry.versionDir(model.name, v.version);
          const rel = `runlens-models/${model.name}/v${v.version}`;
          for (const f of fs.existsSync(dir) ? filesOf(dir) : []) {
            await client.uploadArtifact(artifactUri, `${rel}/${f}`, fs.readFileSync(path.join(dir, f)));
          }
          const r = await client.call<{ model_version: ServerVersion }>('POST', 'model-versions/create', {
            name: model.name,
            source: `${artifactUri}/${rel}`,
            run_id: run.mlflowRunId,
            tags: [{ key: RUNLENS_MODEL_VERSION_TAG, value: String(v.version) }],
            ...(v.description ? { description: v.description } : {}),
          });
          there = r.model_version;
        }
        const stage = MLFLOW_STAGE[v.stage];
        if ((there.current_stage ?? 'None') !== stage) {
          await client.call('POST', 'model-versions/transition-stage', {
            name: model.name,
            version: there.version,
            stage,
            archive_existing_versions: false,
          });
        }
        ours.add(there.version);
        pushed.push({
          model: model.name,
          version: v.version,
          mlflowVersion: there.version,
          created,
          stage,
          aliases: [],
        });
      } catch (e) {
        report.failed.push({ model: model.name, version: v.version, error: errorMessage(e) });
      }
    }
    try {
      await pushAliases(client, model.name, pushed, ours, pushed.length === model.versions.length);
    } catch (e) {
      report.failed.push({ model: model.name, version: 0, error: `aliases: ${errorMessage(e)}` });
    }
    report.versions.push(...pushed);
  }
  return report;
}

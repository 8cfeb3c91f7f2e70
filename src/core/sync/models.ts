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

export interface ModelPushReport {
  versions: { model: string; version: number; mlflowVersion: string; created: boolean; stage: string }[];
  failed: { model: string; version: number; error: string }[];
}

interface ServerVersion {
  name: string;
  version: string;
  run_id?: string;
  current_stage?: string;
  tags?: { key: string; value: string }[];
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
        report.versions.push({
          model: model.name,
          version: v.version,
          mlflowVersion: there.version,
          created,
          stage,
        });
      } catch (e) {
        report.failed.push({ model: model.name, version: v.version, error: errorMessage(e) });
      }
    }
  }
  return report;
}

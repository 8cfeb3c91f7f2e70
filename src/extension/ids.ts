/** Every id the extension contributes; test/unit/manifest.test.ts checks package.json agrees. */
export const Commands = {
  launchTraining: 'runlens.launchTraining',
  launchTrainingWithParams: 'runlens.launchTrainingWithParams',
  rerun: 'runlens.rerun',
  stopRun: 'runlens.stopRun',
  setBaseline: 'runlens.setBaseline',
  registerModel: 'runlens.registerModel',
  promoteModel: 'runlens.promoteModel',
  setModelBaseline: 'runlens.setModelBaseline',
  refresh: 'runlens.refresh',
  showOutput: 'runlens.showOutput',
  openStoreFolder: 'runlens.openStoreFolder',
  renameRun: 'runlens.renameRun',
  tagRun: 'runlens.tagRun',
  starRun: 'runlens.starRun',
  unstarRun: 'runlens.unstarRun',
  deleteRun: 'runlens.deleteRun',
  copyRunId: 'runlens.copyRunId',
  revealRunFolder: 'runlens.revealRunFolder',
  openArtifact: 'runlens.openArtifact',
  filterRuns: 'runlens.filterRuns',
  clearFilter: 'runlens.clearFilter',
  sortRuns: 'runlens.sortRuns',
  loadMore: 'runlens.loadMore',
  revealRun: 'runlens.revealRun',
  openQuickstart: 'runlens.openQuickstart',
  runScript: 'runlens.runScript',
  importMlflow: 'runlens.importMlflow',
  importTensorboard: 'runlens.importTensorboard',
  inferSchema: 'runlens.inferSchema',
  validateData: 'runlens.validateData',
  packageModel: 'runlens.packageModel',
  serveModel: 'runlens.serveModel',
  stopServing: 'runlens.stopServing',
  runPipeline: 'runlens.runPipeline',
  openMetricsChart: 'runlens.openMetricsChart',
  compareRuns: 'runlens.compareRuns',
} as const;

export const Views = {
  container: 'runlens',
  experiments: 'runlens.experiments',
  models: 'runlens.models',
} as const;

export const ContextKeys = {
  hasStore: 'runlens.hasStore',
  filtered: 'runlens.filtered',
  running: 'runlens.hasRunningRuns',
} as const;

/** contextValue of tree items; menus in package.json match on these. */
export const ItemKinds = {
  experiment: 'experiment',
  run: 'run',
  runRunning: 'run.running',
  runStarred: 'run.starred',
  section: 'section',
  artifact: 'artifact',
  value: 'value',
  loadMore: 'loadMore',
  error: 'error',
  model: 'model',
  modelVersion: 'modelVersion',
  workspaceFolder: 'folder',
} as const;

export const SETTINGS_SECTION = 'runlens';
export const Settings = {
  storePath: 'storePath',
  pythonPath: 'pythonPath',
  codeLensEnabled: 'codeLens.enabled',
  stdoutPattern: 'stdoutMetricPattern',
  metricGoals: 'metricGoals',
  sweepConcurrency: 'sweep.concurrency',
  entryPoints: 'entryPoints',
  pageSize: 'explorer.pageSize',
} as const;

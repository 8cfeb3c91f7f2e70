/** Every id the extension contributes; test/unit/extension/manifest.test.ts checks package.json agrees. */
export const Commands = {
  launchTraining: 'runlens.launchTraining',
  launchTrainingWithParams: 'runlens.launchTrainingWithParams',
  rerun: 'runlens.rerun',
  reproduceRun: 'runlens.reproduceRun',
  whatChanged: 'runlens.whatChanged',
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
  runPipelineForce: 'runlens.runPipelineForce',
  runPipelineStage: 'runlens.runPipelineStage',
  createPipelineFile: 'runlens.createPipelineFile',
  showPipelineLog: 'runlens.showPipelineLog',
  startContinuousTraining: 'runlens.startContinuousTraining',
  stopContinuousTraining: 'runlens.stopContinuousTraining',
  openMetricsChart: 'runlens.openMetricsChart',
  compareRuns: 'runlens.compareRuns',
  checkDataDrift: 'runlens.checkDataDrift',
  checkDriftAgainst: 'runlens.checkDriftAgainst',
  checkServingDrift: 'runlens.checkServingDrift',
  evaluateModel: 'runlens.evaluateModel',
  openEvaluation: 'runlens.openEvaluation',
  compareToBaseline: 'runlens.compareToBaseline',
  pushToMlflow: 'runlens.pushToMlflow',
  setMlflowCredentials: 'runlens.setMlflowCredentials',
  refreshTeam: 'runlens.refreshTeam',
} as const;

/**
 * Commands that run workspace code (training scripts, pipeline stages, a packaged server.js): their
 * `enablement` is isWorkspaceTrusted, and the command wrapper refuses them at run time in
 * Restricted Mode (another extension or a keybinding can execute a command whatever its enablement).
 */
export const TRUSTED_COMMANDS: ReadonlySet<string> = new Set([
  Commands.launchTraining,
  Commands.launchTrainingWithParams,
  Commands.rerun,
  Commands.reproduceRun,
  Commands.runScript,
  Commands.runPipeline,
  Commands.runPipelineForce,
  Commands.runPipelineStage,
  Commands.serveModel,
  Commands.startContinuousTraining,
]);

export const Views = {
  container: 'runlens',
  experiments: 'runlens.experiments',
  models: 'runlens.models',
  pipeline: 'runlens.pipeline',
  team: 'runlens.team',
} as const;

export const ContextKeys = {
  hasStore: 'runlens.hasStore',
  filtered: 'runlens.filtered',
  running: 'runlens.hasRunningRuns',
  hasPipeline: 'runlens.hasPipeline',
  pipelineRunning: 'runlens.pipelineRunning',
  watching: 'runlens.watching',
} as const;

/** contextValue of tree items; menus in package.json match on these. */
export const ItemKinds = {
  experiment: 'experiment',
  run: 'run',
  runRunning: 'run.running',
  runStarred: 'run.starred',
  /** Appended, after a space, to a run's kind when it has an evaluation. */
  evaluatedSuffix: 'evaluated',
  section: 'section',
  artifact: 'artifact',
  value: 'value',
  loadMore: 'loadMore',
  error: 'error',
  model: 'model',
  modelVersion: 'modelVersion',
  lineage: 'lineage',
  lineageRun: 'lineageRun',
  pipelineStage: 'pipelineStage',
  /** The stage runs of one pipeline run, grouped in the Experiments view (Open Metrics Chart, Compare Runs). */
  pipelineRun: 'pipelineRun',
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
  systemMetrics: 'systemMetrics.enabled',
  slurmPartition: 'slurm.partition',
  slurmTime: 'slurm.time',
  slurmCpus: 'slurm.cpus',
  slurmMem: 'slurm.mem',
  slurmGpus: 'slurm.gpus',
  slurmGpuType: 'slurm.gpuType',
  slurmAccount: 'slurm.account',
  slurmQos: 'slurm.qos',
  slurmSbatch: 'slurm.sbatch',
  entryPoints: 'entryPoints',
  pageSize: 'explorer.pageSize',
  monitorFeedbackFile: 'monitor.feedbackFile',
  remoteMlflowUri: 'remote.mlflowUri',
} as const;

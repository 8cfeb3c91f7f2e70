/** Tags a pipeline stage's tracked run carries: which pipeline run and stage produced it. */
export const TAG_PIPELINE_RUN = 'runlens.pipeline.run';
export const TAG_STAGE = 'runlens.pipeline.stage';

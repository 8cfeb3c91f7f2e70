// The pure parts of the model commands (no vscode import, so they are unit-tested in plain Node).

/** What is wrong with a model name typed in Register Model, or undefined when it is valid. */
export function modelNameError(name: string): string | undefined {
  return /^[A-Za-z0-9][\w.-]{0,99}$/.test(name) ? undefined : 'Letters, digits, ".", "_" and "-"';
}

/** The name Register Model suggests: the first existing model, else the experiment's name made valid. */
export function suggestedModelName(existing: string[], experiment: string): string {
  return existing[0] ?? experiment.replace(/[^\w.-]/g, '-');
}

/** Built-in actions a stage may name; the runner's table (actions.ts) implements them. */
export const ACTION_NAMES = [
  'validate',
  'evaluate',
  'compare',
  'gate',
  'register',
  'package',
  'serve-smoke',
  'drift',
];

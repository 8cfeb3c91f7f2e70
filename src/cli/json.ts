/**
 * JSON output of the CLI: compact by default (machine-read, and 4x smaller for long series),
 * indented with `--pretty` for people.
 */
export function indent(opts: { pretty?: boolean }): number | undefined {
  return opts.pretty ? 2 : undefined;
}

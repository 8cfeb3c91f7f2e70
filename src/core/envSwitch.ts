/** An environment variable that turns a feature off: 0, false, off or no (any case). */
export function switchedOff(value: string | undefined): boolean {
  return /^(0|false|off|no)$/i.test(value ?? '');
}

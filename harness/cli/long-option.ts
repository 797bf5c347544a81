/**
 * `--name=value` as the commands read it: the option and its attached value. Anything else
 * (a short option, a plain argument, `--name` alone) comes back whole, without a value.
 */
export interface SplitOption {
  /** The option with its dashes (`--symbol`), or the whole argument. */
  readonly name: string;
  /** The text after the first `=` of a long option; undefined when there is none. */
  readonly inline: string | undefined;
}

export function splitLongOption(arg: string): SplitOption {
  const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
  return eq > 2 ? { name: arg.slice(0, eq), inline: arg.slice(eq + 1) } : { name: arg, inline: undefined };
}

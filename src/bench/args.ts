/**
 * Command-line parsing for the `npm run bench:*` scripts: node's `parseArgs` plus what a user
 * expects from a command: `--help` / `-h` prints what the benchmark measures and its options
 * (with their defaults) and exits 0; an unknown or malformed option prints the error and the
 * usage and exits 2 (no stack trace).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The usage text: the script's command, what it does, then one line per option with its default. */
export function benchUsage(command: string, summary: string, options: Options, positionals?: string): string {
  const lines = [`usage: ${command} [-- options]${positionals ? ` [-- ${positionals}]` : ""}`, "", summary, "", "options:"];
  for (const [name, o] of Object.entries(options)) {
    const flag = `--${name}${o.type === "string" ? " <value>" : ""}`;
    const def = o.default === undefined || o.default === false ? "" : `(default: ${String(o.default)})`;
    lines.push(`  ${flag.padEnd(24)}${def}`);
  }
  lines.push(`  ${"--help, -h".padEnd(24)}show this help`);
  return lines.join("\n");
}

/**
 * `parseArgs(process.argv)` with `--help` and readable errors, see the module header. Exits the
 * process on `--help` (0) and on a parse error (2).
 */
export function parseBenchArgs<const O extends Options>(
  command: string,
  summary: string,
  options: O,
  config: { allowPositionals?: boolean; positionals?: string } = {},
) {
  const usage = benchUsage(command, summary, options, config.positionals);
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, allowPositionals: config.allowPositionals ?? false, strict: true });
  } catch (e) {
    console.error(`${command}: ${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
    process.exit(2);
  }
}

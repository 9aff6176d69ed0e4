/**
 * How a setting is read from the environment: the `Setting` type, a table of
 * settings and the values it reads to, and one reader per kind of value
 * (integer, text, list, choice, flag, secret, channel name), each naming its
 * variable in every error. `config.ts` holds Natter's own table.
 *
 * @module
 */
import { z } from "zod";
import { checkName, quoteName } from "./protocol/names.ts";

/**
 * One setting: the environment variable it is read from, and how. A setting
 * whose value may be `undefined` (one without a default) fills an optional
 * `Config` key, absent while the variable is unset.
 */
export class Setting<T> {
  constructor(
    /** The environment variable, such as `PORT`. */
    readonly variable: string,
    /**
     * Turns the variable's raw value (`undefined` when unset) into the
     * setting's value, default applied; every issue's message starts with
     * the variable's name.
     */
    readonly schema: z.ZodType<T, string | undefined>,
    /**
     * What the variable accepts, as the rule its errors state after its
     * name ("must be an integer from 0 to 65535"): `--help` prints it as the
     * setting's bounds, so they cannot drift from what is enforced.
     */
    readonly accepts: string,
  ) {}
}

/** Settings keyed by the `Config` key each fills; a nested table fills a nested object. */
export interface SettingsTable {
  /** A setting, or a table of settings that fills an object. */
  readonly [key: string]: Setting<unknown> | SettingsTable;
}

type EntryValue<E> = E extends Setting<infer T> ? T
  // One object type rather than `SettingValues<E>`, so that editors show its fields.
  : E extends SettingsTable ? { [K in keyof SettingValues<E>]: SettingValues<E>[K] } | undefined
  : never;

// Mapped over the table's own keys (filtered, never renamed) so that each key
// keeps the doc comment of its table entry: editors show it on `Config`'s
// fields, and on those of a `Pick<Config, …>`.
type AlwaysSet<T> = {
  [K in keyof T as undefined extends EntryValue<T[K]> ? never : K]: EntryValue<T[K]>;
};
type MaybeUnset<T> = {
  [K in keyof T as undefined extends EntryValue<T[K]> ? K : never]?: Exclude<
    EntryValue<T[K]>,
    undefined
  >;
};

/**
 * The values a table of settings reads to: a key per entry, optional for a
 * setting without a default and for a nested table (absent when none of its
 * settings is set).
 */
export type SettingValues<T extends SettingsTable> = AlwaysSet<T> & MaybeUnset<T>;

/** A check on a setting's value; a value failing it is refused with "VARIABLE must {must}". */
interface Rule<T> {
  readonly valid: (value: T) => boolean;
  readonly must: string;
}

/** The rule of a text setting that has one. */
type MaybeRule = Rule<string> | { valid?: undefined; must?: undefined };

/** The raw value trimmed; unset or blank gives `fallback`. */
const trimmed = <F extends string | undefined>(fallback: F) =>
  z.string().optional().transform((raw) => raw?.trim() || fallback);

/** An integer from `min` to `max`; unset or blank gives `fallback`. */
export function integer(
  variable: string,
  fallback: number,
  min: number,
  max: number,
): Setting<number> {
  const accepts = `must be an integer from ${min} to ${max}`;
  return new Setting(
    variable,
    z.string().optional().transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return fallback;
      const value = Number(raw.trim());
      if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `${variable} ${accepts} (got "${raw}")` });
        return z.NEVER;
      }
      return value;
    }),
    accepts,
  );
}

/** Trimmed text; unset or blank gives `fallback`, and without one the setting is unset. */
export function text(variable: string, options: { fallback: string } & MaybeRule): Setting<string>;
export function text(variable: string, options: Rule<string>): Setting<string | undefined>;
export function text(
  variable: string,
  options: { fallback?: string } & MaybeRule,
): Setting<string | undefined> {
  const { fallback, valid = () => true, must } = options;
  return new Setting(
    variable,
    trimmed(fallback).refine((value) => value === undefined || valid(value), {
      message: `${variable} must ${must}`,
    }),
    must === undefined ? "any text" : `must ${must}`,
  );
}

/**
 * A comma list of at least one item, each valid and none repeated, items
 * trimmed and empty ones dropped; unset or blank reads `fallback`.
 */
export function list(
  variable: string,
  options: { fallback: string } & Rule<string>,
): Setting<string[]> {
  const { fallback, valid, must } = options;
  const accepts = `must ${must}, at least one and none twice`;
  return new Setting(
    variable,
    trimmed(fallback)
      .transform((raw) => raw.split(",").map((item) => item.trim()).filter(Boolean))
      .refine(
        (items) => items.length > 0 && items.every(valid) && new Set(items).size === items.length,
        { message: `${variable} ${accepts}` },
      ),
    accepts,
  );
}

/** One of `values`, trimmed; unset or blank gives `fallback`, and without one the setting is unset. */
export function oneOf<const V extends string>(
  variable: string,
  values: readonly V[],
  options: { fallback: NoInfer<V>; must: string },
): Setting<V>;
export function oneOf<const V extends string>(
  variable: string,
  values: readonly V[],
  options: { must: string },
): Setting<V | undefined>;
export function oneOf<V extends string>(
  variable: string,
  values: readonly V[],
  options: { fallback?: V; must: string },
): Setting<V | undefined> {
  const choice = z.enum(values, { error: `${variable} must ${options.must}` }).optional();
  return new Setting(variable, trimmed(options.fallback).pipe(choice), `must ${options.must}`);
}

/**
 * A channel name, trimmed, in its NFC form; unset or blank gives `fallback`.
 * The operator may mix scripts freely: NAME_SCRIPT_RESTRICTION is for clients.
 */
export function channelName(variable: string, fallback: string): Setting<string> {
  return new Setting(
    variable,
    trimmed(fallback).transform((raw, ctx) => {
      const verdict = checkName(raw, "channel", "unrestricted");
      if (verdict.ok) return verdict.name;
      ctx.addIssue({
        code: "custom",
        message: `${variable} must be a valid channel name: ${quoteName(raw)} ${verdict.problem}`,
      });
      return z.NEVER;
    }),
    "must be a valid channel name",
  );
}

/** `true` or `false` (any case, trimmed); unset or blank is `false`. */
export function flag(variable: string): Setting<boolean> {
  return new Setting(
    variable,
    z.string().optional().transform((raw, ctx) => {
      const value = raw?.trim().toLowerCase() ?? "";
      if (value === "" || value === "false") return false;
      if (value === "true") return true;
      ctx.addIssue({ code: "custom", message: `${variable} must be true or false (got "${raw}")` });
      return z.NEVER;
    }),
    "must be true or false",
  );
}

/**
 * The raw value exactly as given, not trimmed: a secret or key is used byte
 * for byte. Unset or empty, the setting is unset.
 */
export function verbatim(variable: string, rule?: Rule<string>): Setting<string | undefined> {
  const { valid = () => true, must } = rule ?? {};
  return new Setting(
    variable,
    z.string().optional().transform((raw) => raw || undefined).refine(
      (value) => value === undefined || valid(value),
      { message: `${variable} must ${must}` },
    ),
    must === undefined ? "any text, used exactly as given" : `must ${must}, used exactly as given`,
  );
}

/**
 * Reads every setting of `table` from `env` into its `SettingValues`, adding
 * each issue's message to `problems`.
 */
export function readSettings(
  table: SettingsTable,
  env: Record<string, string | undefined>,
  problems: string[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(table)) {
    if (entry instanceof Setting) {
      const parsed = entry.schema.safeParse(env[entry.variable]);
      if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
      else if (parsed.data !== undefined) values[key] = parsed.data;
    } else {
      const group = readSettings(entry, env, problems);
      if (Object.keys(group).length > 0) values[key] = group;
    }
  }
  return values;
}

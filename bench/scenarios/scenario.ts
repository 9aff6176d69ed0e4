/**
 * What a bench scenario is: a named measurement run once per server per
 * round, on fresh servers, returning named figures (numbers) that the
 * report summarizes over the rounds.
 *
 * @module
 */
import type { ServerKind } from "../servers.ts";

/** Figures of one run, by key; a missing figure did not apply. */
export type Figures = Record<string, number>;

/** How a figure is shown. */
export interface Column {
  key: string;
  label: string;
  /** Decimals shown. */
  digits: number;
}

/** Run options shared by every scenario. */
export interface Options {
  quick: boolean;
}

export interface Scenario {
  id: string;
  title: string;
  /** How it is measured, for the report (sizes, rates, settings). */
  method(options: Options): string;
  /** The servers it runs against (all by default). */
  servers?: readonly ServerKind["id"][];
  columns: readonly Column[];
  run(kind: ServerKind, options: Options): Promise<Figures>;
}

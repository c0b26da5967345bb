// Everything a domain service needs, built once by the plugin factory and passed explicitly
// (no globals), so tests can build one over any database with a manual clock.
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { TableNames } from '../db/tables.js';
import type { HostMapping } from '../host/mapping.js';
import type { HostReader } from '../host/reader.js';
import type { SettingsStore } from '../settings/settings.js';

export interface PluginContext {
  db: Knex;
  prefix: string;
  tables: TableNames;
  mapping: HostMapping;
  host: HostReader;
  settings: SettingsStore;
  clock: Clock;
  /** Where the pages are mounted ('/complaints'), for links the domain writes (the owner's status link). */
  routesPrefix?: string;
}

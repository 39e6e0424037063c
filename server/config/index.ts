// Configuration: YAML in, a validated SiteModel out (DESIGN.md §5, "Configuration").
export {
  ConfigError, DEMO_CONFIG_PATH, PACKAGE_ROOT, checkConfigCommand, countDevicesByKind, loadConfigFile, parseConfig,
  summarizeSite,
} from './load.js';
export type { ParseOptions, ParseResult } from './load.js';
export {
  COLLECTOR_DEFAULTS, ENV_INGEST_TOKEN, MAX_REPORTED_ERRORS, PUE_TARGET_DEFAULT, RETENTION_DEFAULTS,
} from './validate.js';
export { compilePattern, expandPattern } from './pattern.js';
export type { Pattern, PatternContext } from './pattern.js';

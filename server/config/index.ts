// Configuration: YAML in, a validated SiteModel out (docs/ARCHITECTURE.md §5, "Configuration").
export {
  ConfigError, DEMO_CONFIG_PATH, PACKAGE_ROOT, checkConfigCommand, countDevicesByKind, loadConfigFile, parseConfig,
  summarizeSite,
} from './load.js';
export type { ParseOptions, ParseResult } from './load.js';
export { PUE_TARGET_DEFAULT } from '../alerts/config.js';
export { COLLECTOR_DEFAULTS } from '../collectors/config.js';
export { MAX_REPORTED_ERRORS } from '../core/schema.js';
export { ENV_INGEST_TOKEN } from '../http/auth-config.js';
export { RETENTION_DEFAULTS } from '../store/retention-config.js';
export { compilePattern, expandPattern } from './pattern.js';
export type { Pattern, PatternContext } from './pattern.js';

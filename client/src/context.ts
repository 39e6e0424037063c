// What every view is given: the live feed, the site trends, the URL parameters and a way to move on.

import type { LiveClient } from './live.js';
import type { SiteTrends } from './trends.js';

export interface AppContext {
  live: LiveClient;
  trends: SiteTrends;
  params: URLSearchParams;
  /** Changes the URL (kiosk parameters are the state) and mounts the matching view. */
  navigate(params: Record<string, string>): void;
}

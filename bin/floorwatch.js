#!/usr/bin/env node
// Thin launcher so `npx floorwatch` runs the compiled CLI (npm start / npm run build produce dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'server', 'cli.js');
if (!existsSync(cli)) {
  console.error('floorwatch: not built yet; run `npm run build` first');
  process.exit(2);
}
await import(cli);

import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The wall display is a static bundle served by the Floorwatch server from dist/client.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/client', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
});

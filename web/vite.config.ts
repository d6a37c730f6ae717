import { defineConfig } from 'vite';

// The web client is built into dist/web, which the service serves at /
// (src/app.ts: WEB_DIR). Preact's JSX without a plugin: the automatic
// runtime from preact/jsx-runtime (web/tsconfig.json: jsxImportSource).
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts anywhere, so the service's CSP (script-src 'self') holds.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run build && npm start` in another terminal, then the Vite dev server here proxies to it.
    proxy: {
      '/users': 'http://localhost:3000',
      '/rooms': 'http://localhost:3000',
      '/auth': 'http://localhost:3000',
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
});

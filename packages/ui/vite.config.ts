// Vite builds the SPA into dist/ (served by the API server at `/`). `npm run dev -w @kontroler/ui`
// serves it with hot reload and forwards /api to a running `npm start` on port 8080.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/api': { target: process.env.KONTROLER_API ?? 'http://127.0.0.1:8080', changeOrigin: false } } },
});

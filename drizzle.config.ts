import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './api/storage/schema/index.ts',
  out: './api/storage/migrations',
});

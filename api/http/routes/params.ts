import { z } from '@hono/zod-openapi';

export const JobParams = z.object({ id: z.string().min(1).max(100) });

import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodType } from 'zod';
import type { AppEnv } from './env.js';
import { validationHook } from './errors.js';

/** A router of routes, each validated against its schemas; a failed validation answers as every 400 does. */
export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** A JSON request body of this schema, as OpenAPI route configs spell it. */
export const jsonBody = <S extends ZodType>(schema: S, required = true) => ({ required, content: { 'application/json': { schema } } });

/** A JSON response of this schema, as OpenAPI route configs spell it. */
export const jsonResponse = <S extends ZodType>(description: string, schema: S) => ({ description, content: { 'application/json': { schema } } });

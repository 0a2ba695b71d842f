import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openApiDocument } from '../server/openapi/openapi.routes.ts';
import { routeDocs } from '../server/openapi/routes.ts';

/** Writes the OpenAPI document the app serves to the file named by the first argument, for the linters (`npm run lint:openapi`). */
const file = process.argv[2] ?? 'openapi.json';
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(openApiDocument(routeDocs), null, 2));

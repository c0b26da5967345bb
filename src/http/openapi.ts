// The OpenAPI 3.1 document is built from the same JSON Schemas the routes validate with: each API
// module describes its operations here and the document is assembled on request.
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template relative to the routes prefix, e.g. `/api/complaints/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  requestSchema?: Record<string, unknown>;
  /** Content type of the request body (default application/json; multipart/form-data for uploads). */
  requestContentType?: string;
  querySchema?: Record<string, unknown>;
  responseSchema?: Record<string, unknown>;
  /** Extra documented responses, status → description. */
  errors?: Record<string, string>;
  /** none: open (health checks); metrics: the metrics bearer token. */
  security?: 'user' | 'service' | 'none' | 'metrics' | 'owner';
  /** Content type of the 200 answer (default application/json). */
  responseContentType?: string;
  /** curl example shown in the description. */
  example?: string;
}

function parametersFrom(op: ApiOperation): unknown[] {
  const params: unknown[] = [];
  for (const m of op.path.matchAll(/\{(\w+)\}/g)) params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  const props = (op.querySchema?.properties ?? {}) as Record<string, unknown>;
  const required = new Set((op.querySchema?.required as string[] | undefined) ?? []);
  for (const [name, schema] of Object.entries(props)) params.push({ name, in: 'query', required: required.has(name), schema });
  return params;
}

export function buildOpenApi(
  operations: ApiOperation[],
  info: { title: string; version: string; description: string },
  serverPrefix: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const errors = Object.fromEntries(
      Object.entries({
        ...(op.security === 'none' || op.security === 'metrics'
          ? {}
          : { '400': 'Invalid input; field-level messages', '401': 'Not signed in', '403': 'Not allowed' }),
        ...op.errors,
      }).map(([code, description]) => [code, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
    );
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      tags: op.tags,
      description: op.example ? `Example:\n\n\`\`\`sh\n${op.example}\n\`\`\`` : undefined,
      parameters: parametersFrom(op),
      requestBody: op.requestSchema ? { required: true, content: { [op.requestContentType ?? 'application/json']: { schema: op.requestSchema } } } : undefined,
      responses: {
        '200': { description: 'OK', content: { [op.responseContentType ?? 'application/json']: { schema: op.responseSchema ?? { type: 'object' } } } },
        ...errors,
      },
      security:
        op.security === 'none'
          ? []
          : op.security === 'metrics'
            ? [{ metricsToken: [] }]
            : op.security === 'service'
              ? [{ serviceSignature: [] }]
              : op.security === 'owner'
                ? [{ ownerToken: [] }]
                : [{ userToken: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: serverPrefix }],
    paths,
    components: {
      securitySchemes: {
        userToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Complaints-User',
          description: 'A user token signed by the ERP with the shared secret (see README)',
        },
        serviceSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Complaints-Signature',
          description: 'HMAC-SHA256 request signature with the service secret (see README)',
        },
        ownerToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Complaints-Owner',
          description: "An owner token signed by the ERP's owner app with the shared secret: owner id, their units, expiry (see README)",
        },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'The metricsToken setting (only for /metrics)' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'fields'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
              },
            },
          },
        },
      },
    },
  };
}

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
  /** Content type(s) of the 200 answer (default application/json; a file is served as the type it is). */
  responseContentType?: string | string[];
  /** curl example shown in the description. */
  example?: string;
  /**
   * A creating POST: 201 when it made something (with `Location` when `location` is set), 200 when an
   * `Idempotency-Key` (header, or idempotencyKey in the body) replays an earlier one (with
   * `Idempotent-Replayed: true`). Adds the optional `Idempotency-Key` header parameter.
   */
  creates?: { location: boolean };
  /** A POST that always answers 201 Created with its body (it takes no idempotency key, so there is no replay). */
  created?: true;
  /** Statuses in `errors` whose body is the 200 body's schema rather than the Error envelope (readyz's 503). */
  errorsWithOkBody?: string[];
  /** The 200 answer's description (default "OK"). */
  okDescription?: string;
}

/** The tags every operation uses, declared with their descriptions (an undeclared tag fails the lint). */
export const API_TAGS = [
  { name: 'complaints', description: 'Complaints (投诉): intake, the state machine, follow-up and compensation records' },
  { name: 'offsets', description: 'Fee offsets (抵扣) for signed-in staff: request, approve, reject, revoke, the cashier check' },
  { name: 'billing', description: 'The ERP billing service, authenticated by request signature: check, apply, reverse, reconcile' },
  { name: 'reports', description: 'Monthly complaint reports (统计报表)' },
  { name: 'units', description: 'Host units (房屋) and their bills, for intake and the cashier' },
  { name: 'incidents', description: 'Incidents (事件): complaints about one event handled, replied to and closed together' },
  { name: 'improvements', description: 'The improvement register (总结改进): actions taken on report figures and their measured effect' },
  { name: 'attachments', description: 'Photos and files on a complaint, each with its step and who may see it' },
  { name: 'owner', description: "The owner's side, for the ERP's owner app (X-Complaints-Owner token): my complaints, filing, additions, rating" },
  { name: 'operations', description: 'Health, readiness, metrics, installation status and this document' },
];

const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorRef = { $ref: '#/components/schemas/Error' };
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before sending the same request again', schema: { type: 'string' } } };

function parametersFrom(op: ApiOperation): unknown[] {
  const params: unknown[] = [];
  for (const m of op.path.matchAll(/\{(\w+)\}/g)) params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  const props = (op.querySchema?.properties ?? {}) as Record<string, unknown>;
  const required = new Set((op.querySchema?.required as string[] | undefined) ?? []);
  for (const [name, schema] of Object.entries(props)) {
    const param: Record<string, unknown> = { name, in: 'query', required: required.has(name), schema };
    // Arrays: repeat the key (?state=a&state=b); the server also splits a comma list (?state=a,b).
    if ((schema as { type?: unknown }).type === 'array') Object.assign(param, { style: 'form', explode: true });
    params.push(param);
  }
  if (op.creates) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Makes a resend safe: the same key with the same content answers 200 with what the first call made; with other content, 409',
      schema: { type: 'string', minLength: 1, maxLength: 100 },
    });
  }
  return params;
}

export function buildOpenApi(
  operations: ApiOperation[],
  info: { title: string; version: string; description: string },
  serverPrefix: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const open = op.security === 'none' || op.security === 'metrics';
    const described: Record<string, string> = {
      ...(open
        ? {}
        : {
            '400': 'Invalid input; field-level messages',
            '401': 'Not signed in',
            '403': 'Not allowed',
            ...(op.requestSchema ? { '413': 'Request body too large', '415': 'The request body is not JSON (Content-Type: application/json)' } : {}),
            '503':
              'Nothing was done; send the same request again after `Retry-After` seconds: `database_unavailable` (the database does not answer) or `retry_later` (concurrent writers outlasted our retries)',
            '500': 'Unexpected error (`internal`; logged with the request id, no details in the answer)',
          }),
      ...op.errors,
    };
    const errors = Object.fromEntries(
      Object.entries(described).map(([code, description]) => [
        code,
        {
          description,
          ...(code === '503' ? { headers: retryAfter } : {}),
          content: json(op.errorsWithOkBody?.includes(code) ? (op.responseSchema ?? { type: 'object' }) : errorRef),
        },
      ]),
    );
    const types = [op.responseContentType ?? 'application/json'].flat();
    const body = Object.fromEntries(types.map((type) => [type, { schema: op.responseSchema ?? { type: 'object' } }]));
    const success: Record<string, unknown> = op.creates
      ? {
          '201': {
            description: 'Created',
            ...(op.creates.location
              ? { headers: { Location: { description: 'The URL of what was created', required: true, schema: { type: 'string' } } } }
              : {}),
            content: body,
          },
          '200': {
            description: 'An Idempotency-Key replay: what the first call with this key made',
            headers: {
              'Idempotent-Replayed': { description: 'Always `true` on a replay', required: true, schema: { const: 'true' } },
              ...(op.creates.location ? { Location: { description: 'The URL of what was made', required: true, schema: { type: 'string' } } } : {}),
            },
            content: body,
          },
        }
      : op.created
        ? { '201': { description: 'Created', content: body } }
        : { '200': { description: op.okDescription ?? 'OK', content: body } };
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      tags: op.tags,
      description: op.example ? `${op.summary}\n\nExample:\n\n\`\`\`sh\n${op.example}\n\`\`\`` : op.summary,
      parameters: parametersFrom(op),
      requestBody: op.requestSchema ? { required: true, content: { [op.requestContentType ?? 'application/json']: { schema: op.requestSchema } } } : undefined,
      responses: { ...success, ...errors },
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
    servers: [{ url: serverPrefix, description: 'The routes prefix under the ERP host or the standalone service' }],
    tags: API_TAGS,
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

// Settings API shapes, derived from the server's serializers (see api-types.ts for the rule).
import type { serializeKey } from '../../../../src/api/session-routes.ts';

export type ApiPersonalApiKey = ReturnType<typeof serializeKey>;
/** The answer to creating a key: the only time its secret `value` is shown. */
export type ApiCreatedPersonalApiKey = ApiPersonalApiKey & { readonly value: string };

// Flag API shapes, derived from the server's serializers (see api-types.ts for the rule).
import type { serializeEvaluation, serializeFlag } from '../../../../src/api/flag-routes.ts';

export type ApiFlag = ReturnType<typeof serializeFlag>;
export type ApiFlagEvaluation = ReturnType<typeof serializeEvaluation>;

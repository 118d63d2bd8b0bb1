// Variants (key and rollout %, summing to 100) with a JSON payload each; without variants, the
// payload sent when the flag is on.
import { FieldError, useFieldError } from './field-errors.tsx';
import { variantTotal, type FlagDraft, type VariantDraft } from './flag-form.ts';

interface Props {
  readonly draft: FlagDraft;
  onChange(changes: Partial<FlagDraft>): void;
}

export function VariantsEditor({ draft, onChange }: Props) {
  const { variants } = draft;
  const total = variantTotal(variants);
  const setVariant = (i: number, next: VariantDraft | null) =>
    onChange({ variants: next === null ? variants.filter((_, j) => j !== i) : variants.map((v, j) => (j === i ? next : v)) });
  const addVariant = () => onChange({ variants: [...variants, { key: variants.length === 0 ? 'control' : variants.length === 1 ? 'test' : `variant-${variants.length + 1}`, rollout: '', payload: '' }] });
  return (
    <section className="card stack" aria-labelledby="variants-heading">
      <h2 id="variants-heading">Variants and payloads</h2>
      {variants.length === 0 ? (
        <>
          <p className="muted">A boolean flag: on or off. Add variants for a multivariate flag.</p>
          <TruePayload value={draft.truePayload} onChange={(truePayload) => onChange({ truePayload })} />
        </>
      ) : (
        <>
          {variants.map((v, i) => (
            <VariantRow key={i} variant={v} index={i} onChange={(next) => setVariant(i, next)} onRemove={() => setVariant(i, null)} />
          ))}
          <p className={Math.abs(total - 100) < 1e-9 ? 'muted' : 'form-error'} aria-live="polite">
            Variant rollouts add up to {Number(total.toFixed(4))}%{Math.abs(total - 100) < 1e-9 ? '.' : ' (they must add up to 100%).'}
          </p>
        </>
      )}
      <FieldError path="filters.multivariate.variants" />
      <div>
        <button type="button" onClick={addVariant}>
          + Add variant
        </button>
      </div>
    </section>
  );
}

function TruePayload({ value, onChange }: { value: string; onChange(value: string): void }) {
  const error = useFieldError('filters.payloads.true');
  return (
    <label>
      Payload when on (JSON, optional)
      <textarea rows={2} className="code" value={value} onChange={(e) => onChange(e.target.value)} placeholder='{"color": "red"}' {...error.inputProps} />
      <FieldError path="filters.payloads.true" />
    </label>
  );
}

function VariantRow({ variant, index, onChange, onRemove }: { variant: VariantDraft; index: number; onChange(v: VariantDraft): void; onRemove(): void }) {
  const path = `filters.multivariate.variants.${index}`;
  const number = index + 1;
  const keyError = useFieldError(`${path}.key`);
  const rolloutError = useFieldError(`${path}.rollout_percentage`);
  const payloadPath = `filters.payloads.${variant.key.trim()}`;
  const payloadError = useFieldError(payloadPath);
  return (
    <div className="flag-variant" role="group" aria-label={`Variant ${number}`}>
      <label>
        Variant key
        <input value={variant.key} onChange={(e) => onChange({ ...variant, key: e.target.value })} {...keyError.inputProps} />
        <FieldError path={`${path}.key`} />
      </label>
      <label className="flag-variant-rollout">
        Rollout %
        <input type="number" min={0} max={100} step="any" inputMode="decimal" value={variant.rollout} onChange={(e) => onChange({ ...variant, rollout: e.target.value })} {...rolloutError.inputProps} />
        <FieldError path={`${path}.rollout_percentage`} />
      </label>
      <label className="flag-variant-payload">
        Payload (JSON, optional)
        <textarea rows={1} className="code" value={variant.payload} onChange={(e) => onChange({ ...variant, payload: e.target.value })} {...payloadError.inputProps} />
        <FieldError path={payloadPath} />
      </label>
      <button type="button" className="danger" onClick={onRemove} aria-label={`Remove variant ${number}`}>
        Remove
      </button>
      <FieldError path={path} />
    </div>
  );
}

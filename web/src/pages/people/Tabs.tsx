// In-page tabs (buttons with the tab role); arrow keys move between them.
import { useId, type ReactNode } from 'react';

export function Tabs<T extends string>({ tabs, active, onChange, label, children }: { tabs: [T, string][]; active: T; onChange(tab: T): void; label: string; children: ReactNode }) {
  const id = useId();
  const move = (from: number, step: number) => {
    const next = tabs[(from + step + tabs.length) % tabs.length][0];
    onChange(next);
    document.getElementById(`${id}-${next}`)?.focus();
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label}>
        {tabs.map(([value, title], i) => (
          <button
            key={value}
            id={`${id}-${value}`}
            type="button"
            role="tab"
            aria-selected={value === active}
            aria-controls={`${id}-panel`}
            tabIndex={value === active ? 0 : -1}
            onClick={() => onChange(value)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight') move(i, 1);
              if (e.key === 'ArrowLeft') move(i, -1);
            }}
          >
            {title}
          </button>
        ))}
      </div>
      <div id={`${id}-panel`} role="tabpanel" aria-labelledby={`${id}-${active}`}>
        {children}
      </div>
    </>
  );
}

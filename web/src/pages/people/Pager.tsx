// Previous / Next buttons for a cursor-paged list. A long list shows one above and one below the
// table (the same state), told apart by `position` in their accessible names.
import type { CursorPages } from './use-cursor-pages.ts';

export function Pager({ pages, label, position }: { pages: CursorPages<unknown>; label: string; position?: 'top' | 'bottom' }) {
  if (!pages.hasPrevious && !pages.hasNext) return null;
  return (
    <nav className={position ? `pager pager-${position}` : 'pager'} aria-label={position ? `${label} pages (${position})` : `${label} pages`}>
      <button type="button" onClick={pages.previous} disabled={!pages.hasPrevious || pages.loading}>
        Previous
      </button>
      <span className="muted">Page {pages.pageNumber}</span>
      <button type="button" onClick={pages.next} disabled={!pages.hasNext || pages.loading}>
        Next
      </button>
    </nav>
  );
}

// Previous / Next buttons for a cursor-paged list.
import type { CursorPages } from './use-cursor-pages.ts';

export function Pager({ pages, label }: { pages: CursorPages<unknown>; label: string }) {
  if (!pages.hasPrevious && !pages.hasNext) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
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

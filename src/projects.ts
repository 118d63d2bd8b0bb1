// The projects of this instance, by id and by token: a small table read at start and changed
// only by the project routes (inside the ingest queue's exclusive(), so ingestion never sees a
// project half made). Ingestion's own per-project state (group types, persons, definitions) is
// IngestQueue's, by project id.
import type { Project, Store } from './store/store.js';

export class ProjectDirectory {
  private readonly byId = new Map<number, Project>();
  private readonly tokens = new Map<string, Project>();

  static async load(store: Store): Promise<ProjectDirectory> {
    return new ProjectDirectory(await store.listProjects());
  }

  constructor(projects: readonly Project[] = []) {
    for (const project of projects) this.put(project);
  }

  get(projectId: number): Project | undefined {
    return this.byId.get(projectId);
  }

  /** The project a public token (`phc_...`) belongs to. */
  byToken(token: string): Project | undefined {
    return this.tokens.get(token);
  }

  /** Every project's id, lowest first. */
  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }

  /** Adds a project, or replaces its settings (name, time zone). */
  put(project: Project): void {
    const previous = this.byId.get(project.id);
    if (previous) this.tokens.delete(previous.apiToken);
    this.byId.set(project.id, project);
    this.tokens.set(project.apiToken, project);
  }
}

// Project settings: token and SDK snippets, group type names, personal API keys, ingestion warnings.
import { GroupTypeNames } from './settings/GroupTypeNames.tsx';
import { IngestionWarnings } from './settings/IngestionWarnings.tsx';
import { PersonalApiKeys } from './settings/PersonalApiKeys.tsx';
import { ProjectSnippets } from './settings/ProjectSnippets.tsx';
import './flags.css';

export function Settings(_props: Record<string, string>) {
  return (
    <div className="page settings-page">
      <h1>Settings</h1>
      <ProjectSnippets />
      <GroupTypeNames />
      <PersonalApiKeys />
      <IngestionWarnings />
    </div>
  );
}

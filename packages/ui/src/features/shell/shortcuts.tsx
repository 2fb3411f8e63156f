// Global keyboard shortcuts: `g d` DAGs, `g r` runs, `g s` stats, `g e` new DAG in the editor,
// `/` focuses the page's search box, `t` switches the theme, `?` lists them.
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { Dialog } from '../../lib/ui.js';

export const SHORTCUTS: Array<[string, string]> = [
  ['g d', 'DAGs'],
  ['g r', 'Runs'],
  ['g s', 'Stats'],
  ['g e', 'New DAG (editor)'],
  ['/', 'Search on this page'],
  ['t', 'Switch light / dark'],
  ['?', 'This help'],
  ['Delete', 'Editor: remove the selected task or dependency'],
  ['Esc', 'Close a dialog or panel'],
];

function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || !!t.closest('.cm-editor'));
}

export function Shortcuts({ toggleTheme }: { toggleTheme: () => void }) {
  const nav = useNavigate();
  const [help, setHelp] = useState(false);
  useEffect(() => {
    let g = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
      if (Date.now() - g < 1200) {
        const to = { d: '/dags', r: '/runs', s: '/stats', e: '/editor' }[e.key];
        g = 0;
        if (to) {
          e.preventDefault();
          nav(to);
          return;
        }
      }
      if (e.key === 'g') g = Date.now();
      else if (e.key === '?') setHelp(true);
      else if (e.key === 't') toggleTheme();
      else if (e.key === '/') {
        const s = document.querySelector<HTMLInputElement>('[data-search]');
        if (s) {
          e.preventDefault();
          s.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [nav, toggleTheme]);
  return (
    <Dialog open={help} onClose={() => setHelp(false)} title="Keyboard shortcuts">
      <table className="data">
        <tbody>
          {SHORTCUTS.map(([k, what]) => (
            <tr key={k}>
              <td>
                {k.split(' ').map((p) => (
                  <span key={p} className="kbd" style={{ marginRight: 4 }}>
                    {p}
                  </span>
                ))}
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}

// CodeMirror 6 for the YAML view, scripts and pod templates: themed by the page's CSS variables
// (light and dark), with problems shown as lint marks at their line and column.
import { useEffect, useRef } from 'react';
import { basicSetup } from 'codemirror';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { yaml } from '@codemirror/lang-yaml';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';

export interface Problem {
  line?: number;
  column?: number;
  message: string;
}

const theme = EditorView.theme({
  '&': { color: 'var(--text)', backgroundColor: 'var(--code-bg)', fontSize: '12.5px', height: '100%' },
  '.cm-content': { caretColor: 'var(--text)', fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' },
  '.cm-gutters': { backgroundColor: 'var(--panel-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent) 7%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 12%, transparent)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--accent) 30%, transparent) !important' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '.cm-scroller': { overflow: 'auto' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--text)', border: '1px solid var(--border)' },
});

// Token colours from the theme's ANSI palette: readable in light and dark alike.
const highlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName), t.attributeName], color: 'var(--ansi-4)' },
  { tag: [t.string, t.special(t.string)], color: 'var(--ansi-2)' },
  { tag: [t.number, t.bool, t.null, t.atom], color: 'var(--ansi-5)' },
  { tag: [t.keyword, t.operatorKeyword, t.controlKeyword], color: 'var(--ansi-1)' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: [t.variableName, t.special(t.variableName)], color: 'var(--ansi-6)' },
  { tag: [t.meta, t.punctuation, t.separator], color: 'var(--muted)' },
]);

export function CodeEditor({
  value,
  onChange,
  language,
  problems = [],
  ariaLabel,
  height = '100%',
  invalid,
}: {
  value: string;
  onChange: (v: string) => void;
  language: 'yaml' | 'shell';
  problems?: Problem[];
  ariaLabel: string;
  height?: string | number;
  invalid?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const ext: Extension[] = [
      basicSetup,
      theme,
      syntaxHighlighting(highlight),
      language === 'yaml' ? yaml() : StreamLanguage.define(shell),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChangeRef.current(u.state.doc.toString());
      }),
      EditorView.contentAttributes.of({ 'aria-label': ariaLabel }),
      EditorState.tabSize.of(2),
    ];
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: value, extensions: ext }) });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is created once; later values are pushed in by the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [language, ariaLabel]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const cur = v.state.doc.toString();
    if (cur !== value) v.dispatch({ changes: { from: 0, to: cur.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc;
    const diags: Diagnostic[] = [];
    for (const p of problems) {
      if (p.line === undefined || p.line < 1 || p.line > doc.lines) continue;
      const line = doc.line(p.line);
      const from = Math.min(line.from + Math.max(0, (p.column ?? 1) - 1), line.to);
      diags.push({ from, to: Math.max(from, line.to), severity: 'error', message: p.message });
    }
    v.dispatch(setDiagnostics(v.state, diags));
  }, [problems, value]);

  return <div className={`cm-host${invalid ? ' invalid' : ''}`} ref={host} style={{ height }} data-testid={`code-${ariaLabel}`} />;
}

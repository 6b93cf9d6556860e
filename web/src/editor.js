// The code editor: CodeMirror 6 with JavaScript highlighting, line
// numbers, bracket matching, search (Ctrl/Cmd+F) and the run keys.
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, drawSelection } from "@codemirror/view";
import { EditorState, Prec } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { search, searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { bracketMatching, indentOnInput, syntaxHighlighting, defaultHighlightStyle, foldGutter, foldKeymap } from "@codemirror/language";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { javascript } from "@codemirror/lang-javascript";

// The editor lives in a shadow root of host: CodeMirror then styles it
// with a constructed style sheet (adoptedStyleSheets), which the page's
// CSP allows, instead of the <style> element it puts in a document's
// head, which style-src 'self' refuses.
const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "#fff" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: "13px" },
});

// createEditor puts an editor in host. onSave and onRun are bound to
// Mod-s and Mod-Enter ahead of every other key binding; onChange hears
// each edit.
export function createEditor(host, doc, { onSave, onRun, onChange }) {
  const run = (fn) => () => { fn(); return true; };
  const root = host.attachShadow({ mode: "open" });
  return new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc,
      extensions: [
        Prec.highest(keymap.of([
          { key: "Mod-s", run: run(onSave), preventDefault: true },
          { key: "Mod-Enter", run: run(onRun), preventDefault: true },
        ])),
        lineNumbers(), highlightActiveLineGutter(), foldGutter(), lintGutter(),
        highlightSpecialChars(), history(), drawSelection(), indentOnInput(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(), closeBrackets(), highlightActiveLine(), highlightSelectionMatches(),
        search({ top: true }),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap, indentWithTab]),
        javascript(), theme,
        EditorView.contentAttributes.of({ "aria-label": "Function source" }),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
      ],
    }),
  });
}

// markError underlines line:column (1-based) with message, puts a marker
// in the gutter, and scrolls there. Column 0 or beyond the line marks
// the whole line.
export function markError(view, line, column, message) {
  const doc = view.state.doc;
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  let from = l.from + Math.max(0, (column || 1) - 1);
  if (from >= l.to) from = l.from;
  const to = from < l.to ? Math.max(from + 1, wordEnd(l.text, from - l.from) + l.from) : l.to;
  view.dispatch(setDiagnostics(view.state, [{ from, to, severity: "error", message }]));
  view.dispatch({ effects: EditorView.scrollIntoView(from, { y: "center" }), selection: { anchor: from } });
}

function wordEnd(text, i) {
  const m = /^[\w$]+/.exec(text.slice(i));
  return i + (m ? m[0].length : 1);
}

export function clearErrors(view) {
  view.dispatch(setDiagnostics(view.state, []));
}

export function setSource(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

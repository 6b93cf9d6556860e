import { EditorView } from "@codemirror/view"; console.log(EditorView);

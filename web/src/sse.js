// Server-sent events over fetch: EventSource cannot send the
// Authorization header, so the page reads the stream itself.

// readEvents calls onEvent(name, data) for each event of resp's body
// until it ends (or its request is aborted, which rejects).
export async function readEvents(resp, onEvent) {
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let m;
    while ((m = /(\r\n|\r|\n)(\r\n|\r|\n)/.exec(buf))) {
      const block = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      dispatch(block, onEvent);
    }
  }
  if (buf.trim()) dispatch(buf, onEvent);
}

// dispatch parses one event block: event and data fields; comments
// (keep-alives) are skipped.
export function dispatch(block, onEvent) {
  let name = "message";
  const data = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (!line || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const key = i < 0 ? line : line.slice(0, i);
    const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (key === "event") name = val;
    else if (key === "data") data.push(val);
  }
  if (!data.length) return;
  let parsed;
  try { parsed = JSON.parse(data.join("\n")); } catch { parsed = data.join("\n"); }
  onEvent(name, parsed);
}

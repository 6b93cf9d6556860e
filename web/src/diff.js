// A line diff (longest common subsequence), enough for function sources
// of a few thousand lines; past that it says the files are too long.

const limit = 4000;

// diffLines returns [{op: " " | "-" | "+", text}] turning a into b.
export function diffLines(a, b) {
  const x = a.split("\n"), y = b.split("\n");
  if (x.length > limit || y.length > limit) return null;
  const n = x.length, m = y.length;
  // lcs[i][j]: the common length of x[i:] and y[j:], in one flat array.
  const lcs = new Uint16Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = x[i] === y[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1
        : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.push({ op: " ", text: x[i] }); i++; j++; }
    else if (j < m && (i === n || lcs[i * (m + 1) + j + 1] >= lcs[(i + 1) * (m + 1) + j])) { out.push({ op: "+", text: y[j] }); j++; }
    else { out.push({ op: "-", text: x[i] }); i++; }
  }
  return out;
}

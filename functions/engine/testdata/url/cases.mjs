// Generates the URL cases of weburl_test.go (cases.json): inputs and
// setter calls chosen to cover the WHATWG URL parser's states, hosts,
// percent-encode sets and failures, with what Node.js (whose URL follows
// the standard) makes of each. Run: node cases.mjs > cases.json
// The differential test (TestURLAgainstNode) runs the same inputs through
// node again at test time, so the file cannot drift from what node says.

const parse = [];
const add = (input, base) => parse.push(base === undefined ? { input } : { input, base });

// Authorities of special URLs: hosts (domains, IDNA, IPv4 in its forms,
// IPv6, forbidden code points), userinfo and ports.
const hosts = [
  "ex.com", "EX.Com", "xn--nxasmq6b.com", "ñandú.com", "faß.de", "例え.jp", "ex.com.", "a..b", "-a.com",
  "192.168.0.1", "0x7f.1", "0177.0.0.1", "127.1", "4294967295", "4294967296", "192.168.0.257", "1.2.3.4.5",
  "0x100000000", "1.2.3.09", "0x7F.0x0.0x0.0x1", "0.0.0.0", "1.2.3", "08.1.1.1", "[::1]", "[2001:db8::1]",
  "[::ffff:192.168.0.1]", "[1:2:3:4:5:6:7:8:9]", "[::1", "[0:0::1]", "[::127.0.0.1]", "[2001:DB8:0:0:0:0:0:1]",
  "[fe80::1%25eth0]", "a b.com", "a<b.com", "a%20b.com", "a^b.com", "%41.com", "a%2Eb.com", "ex%00.com",
  "ex.com:80", "ex.com:443", "ex.com:0", "ex.com:65535", "ex.com:65536", "ex.com:-1", "ex.com:8080",
  "ex.com:08080", "ex.com:", "ex.com:8x", "user:pass@ex.com", "test:@ex.com", ":pass@ex.com",
  "us er:pa ss@ex.com", "@ex.com", "a:b:c@ex.com", "u%40x@ex.com", "a@b@ex.com", "user@", "",
];
for (const scheme of ["http", "https", "ws", "ftp"]) for (const h of hosts) add(`${scheme}://${h}/p`);
for (const h of hosts.slice(0, 30)) add(`wss://${h}`);

// Paths, queries and fragments, with the sets that encode them.
const tails = [
  "/a/./b/../c", "/%2e%2E/x", "/a b", "/ü/é", "\\a\\b", "//double//slash", "/a?b#c", "/?x#", "/a;b=c",
  "/%zz", "/%41", "/a%2fb", "/..", "/../../x", "/./", "/a/b/..", "?a=1&b= 2", "?'quote'", "?<>\"", "?%zz",
  "?ü", "?a#b#c", "#frag ment", "#`x`", "#ü", "#<>\"", "/a\tb\nc", "/\u0000", "/{}|^", "/[]@",
];
for (const t of tails) {
  add(`http://ex.com${t}`);
  add(`foo://ex.com${t}`);
}

// Relative references against bases, special and not, and opaque paths.
const refs = [
  "", "?x", "#y", "/root", "../up", "./here", "//other.com/p", "http:foo.com", "http:/foo", "https:bar",
  "\\\\x\\y", "..", ".", "c:/x", " \t/tab\n ", "g;x=1/../y", "?", "#", "//", "///x", "http://", "//@/",
  "a:b", "foo:bar", "mailto:x@y", "../../../../z", "%2e%2e/x", "/..//x",
];
for (const base of ["http://ex.com/a/b?q#f", "foo://ex/a/b", "file:///C:/d/e", "mailto:a@b", "data:text/plain,hi"]) {
  for (const r of refs) add(r, base);
}
add("x", "");
add("x", "not a url");

// Other schemes: file, opaque and blob, whitespace and controls.
for (const s of [
  "file:///C:/x", "file://host/share/f", "file:/x", "file:c:\\x", "file://localhost/x", "file:///x/../../y",
  "file://C:/x", "file:", "mailto:a@b.com", "javascript:alert(1)", "data:text/plain,a b", "blob:https://ex.com/id",
  "blob:foo://x", "urn:isbn:123", "sc:\\x", "sc://ü/x", "sc://a b/", "sc://%/", "sc://@/", "sc:/..//x",
  "  http://ex.com  ", "\u0001http://ex.com/\u001f", "ht\ttp://ex.com", "http:\n//ex.com", "HTTP://EX.COM/P",
  "h$tp://x", "1http://x", "http:", "http:/", "https:", "https:ex.com", "about:blank", "tel:+1-555", "x:",
]) add(s);

// Setters: each part of a few URLs set to fitting and unfitting values.
const set = [];
const setValues = {
  protocol: ["https", "ftp:", "file", "foo", "HTTP", "h$", "ws://x", ""],
  username: ["me", "a b", "a:b@c", "", "ü"],
  password: ["secret", "p ss", "a:@/", ""],
  host: ["other.com", "other.com:81", "[::1]:82", "a b", "", "ex.com:99999", "x/y", "ü.com"],
  hostname: ["other.com", "other.com:81", "192.168.0.257", "0x7f.1", "", "[::2]"],
  port: ["81", "80", "", "0", "65536", "8x", "99a", "-1", "443"],
  pathname: ["/x/y", "x", "/a b/%zz", "/../up", "\\a", "", "?#"],
  search: ["a=1", "?b=2", "", "?", "a b<c>", "#x", "ü"],
  hash: ["h", "#h2", "", "#", "a b", "ü"],
};
for (const href of ["http://u:p@ex.com:8080/a/b?q=1#f", "https://ex.com/", "foo://ex/p", "mailto:a@b", "file:///x"]) {
  for (const [part, values] of Object.entries(setValues)) for (const value of values) set.push({ href, part, value });
}

const fields = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
const out = {
  parse: parse.map((c) => {
    try {
      const u = c.base === undefined ? new URL(c.input) : new URL(c.input, c.base);
      return { ...c, want: Object.fromEntries(fields.map((f) => [f, u[f]])) };
    } catch (e) {
      return { ...c, want: null };
    }
  }),
  set: set.map((c) => {
    const u = new URL(c.href);
    u[c.part] = c.value;
    return { ...c, want: u.href };
  }),
};
console.log(JSON.stringify(out, null, 1));

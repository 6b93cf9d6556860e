// Package engine runs functions in goja: transpile at deploy, compile once
// per version (cached), and run each invocation in a fresh, hardened runtime.
package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
)

// MaxSourceBytes bounds what one deploy may send: large enough for a bundled
// App, small enough that a compile cannot take the gateway down.
const MaxSourceBytes = 2 << 20

// CompileError is source that does not compile, with a 1-based position.
type CompileError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"` // 1-based
	Message string `json:"message"`
}

func (e *CompileError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Transpiled is deployable code: Code is CommonJS that goja runs, Hash keys
// the compiled-program cache.
type Transpiled struct {
	Code string
	Hash string
}

// Transpile turns user source (CommonJS, ES module, or a plain script that
// declares main) into CommonJS that goja can run, and checks that goja
// accepts it. It is called at deploy so that bad source never becomes a version.
func Transpile(name, source string) (Transpiled, error) {
	if len(source) > MaxSourceBytes {
		return Transpiled{}, &CompileError{Message: fmt.Sprintf("source is %d bytes; the limit is %d", len(source), MaxSourceBytes)}
	}
	if strings.TrimSpace(source) == "" {
		return Transpiled{}, &CompileError{Message: "source is empty"}
	}
	if line, deep := tooDeep(source); deep {
		return Transpiled{}, &CompileError{Line: line, Column: 1, Message: fmt.Sprintf("brackets nest more than %d levels deep", maxNesting)}
	}
	res := api.Transform(source, api.TransformOptions{
		Sourcefile: name,
		Loader:     api.LoaderJS,
		Format:     api.FormatCommonJS,
		// goja parses ES2022 except async iteration (for await, async
		// generators), which esbuild lowers to generators and promises:
		// streams are read with for await.
		Target:    api.ES2022,
		Supported: map[string]bool{"for-await": false, "async-generator": false},
		// An inline map keeps runtime line numbers pointing at the user's
		// source. It is the only map goja may load: see compile.
		Sourcemap:      api.SourceMapInline,
		SourcesContent: api.SourcesContentExclude,
		LegalComments:  api.LegalCommentsNone,
		LogLevel:       api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return Transpiled{}, esbuildError(res.Errors[0])
	}
	code := cheapenESMHelpers(string(res.Code))
	if _, err := compile(name, code); err != nil {
		return Transpiled{}, err
	}
	sum := sha256.Sum256([]byte(code))
	return Transpiled{Code: code, Hash: hex.EncodeToString(sum[:])}, nil
}

// esmHelpers replace two of the helpers esbuild writes when it lowers an
// ES module to CommonJS. They run on every invocation (a fresh runtime
// loads the module each time), and the originals cost more than a whole
// CommonJS run: __toCommonJS copies every export onto a second object
// through getOwnPropertyNames, for-of and a descriptor each, and __export's
// for-in walks up to Object.prototype and builds all its methods. The
// stand-ins keep the getters (live bindings, and no temporal-dead-zone
// read of a const export before it is initialised) and the __esModule
// marker, but mark the exports object itself. Each keeps the original's
// line count, so the inline source map still points at the user's lines.
// TestESMHelpersReplaced notices when an esbuild upgrade changes the text.
var esmHelpers = strings.NewReplacer(
	`var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};`, `var __export = (target, all) => {
  for (var names = Object.keys(all), i = 0; i < names.length; i++)
    __defProp(target, names[i], { get: all[names[i]], enumerable: true });
};`,
	`var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);`,
	`var __toCommonJS = (mod) => __defProp(mod, "__esModule", { value: true });`,
)

func cheapenESMHelpers(code string) string {
	// The helpers, when present, come first: no need to scan the whole file.
	head := strings.Index(code, "\nmodule.exports = __toCommonJS(")
	if head < 0 {
		return code
	}
	return esmHelpers.Replace(code[:head]) + code[head:]
}

func esbuildError(m api.Message) *CompileError {
	e := &CompileError{Message: m.Text}
	if m.Location != nil {
		e.Line, e.Column = m.Location.Line, m.Location.Column+1
	}
	return e
}

// compile parses and compiles CommonJS code produced by Transpile.
//
// goja's default source-map loader reads any file a sourceMappingURL comment
// names (file:///etc/passwd included). Our loader refuses everything, so only
// the inline data: map that esbuild wrote is ever used.
func compile(name, code string) (prg *goja.Program, err error) {
	// goja's parser panics on some valid code (a string literal holding
	// both \u{20BB7} and \u{10FFFF} escapes, for one): the deploy gets a
	// clear error instead of an internal one.
	defer func() {
		if p := recover(); p != nil {
			prg, err = nil, &CompileError{Message: fmt.Sprintf("SyntaxError: the JavaScript engine (goja) could not parse this code: %v", p)}
		}
	}()
	ast, err := goja.Parse(name, code, parser.WithSourceMapLoader(refuseSourceMap))
	if err != nil {
		return nil, parseError(err)
	}
	prg, err = goja.CompileAST(ast, false)
	if err != nil {
		return nil, parseError(err)
	}
	return prg, nil
}

func refuseSourceMap(string) ([]byte, error) {
	return nil, errors.New("external source maps are not loaded")
}

func parseError(err error) error {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return &CompileError{Line: list[0].Position.Line, Column: list[0].Position.Column, Message: list[0].Message}
	}
	var ce *goja.CompilerSyntaxError
	if errors.As(err, &ce) {
		e := &CompileError{Message: ce.Message}
		if ce.File != nil { // goja leaves it nil for some errors (found by FuzzTranspile)
			pos := ce.File.Position(ce.Offset)
			e.Line, e.Column = pos.Line, pos.Column
		}
		return e
	}
	return &CompileError{Message: err.Error()}
}

// maxNesting bounds how deep brackets may nest in code and JSON that goja
// parses. Its parsers recurse once per level: 10^5 levels take seconds, and
// 10^7 exhaust the goroutine stack, a fatal error no recover catches.
const maxNesting = 1000

// tooDeep reports whether ( [ { nest deeper than maxNesting in JavaScript
// source or JSON, and the line where they first do. It skips strings and
// comments; inside regex literals and templates it may over-count a little,
// which only matters for code no one writes.
func tooDeep(src string) (line int, deep bool) {
	depth, line := 0, 1
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line++
		case '\\':
			i++ // an escaped character (in a regex literal) is not a bracket
		case '"', '\'', '`':
			for i++; i < len(src) && src[i] != c; i++ {
				switch src[i] {
				case '\\':
					i++
				case '\n':
					line++
				}
			}
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				line++
			} else if i+1 < len(src) && src[i+1] == '*' {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return line, false
				}
				line += strings.Count(src[i:i+2+end], "\n")
				i += end + 3
			}
		case '(', '[', '{':
			if depth++; depth > maxNesting {
				return line, true
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return line, false
}

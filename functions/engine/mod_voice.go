package engine

import (
	"errors"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions/voice"
)

// The voice module (js/voice.js): a VoiceResponse builder for Class 5
// webhooks. The rules of each verb are functions/voice's, the same ones
// the gateway applies to the answer, so the two cannot disagree.
func init() {
	registerModule("voice", func(r *run) goja.Value { return r.lib("voice") })
	libHosts["voice"] = func(r *run, host *goja.Object) {
		throw := func(err error) {
			var ve *voice.Error
			if errors.As(err, &ve) {
				panic(r.newError("TypeError", ve.Error()))
			}
			panic(r.newError("TypeError", "voice: "+err.Error()))
		}
		_ = host.Set("maxVerbs", voice.MaxVerbs)
		// check(json, parent) validates one verb, nested in parent ("" at the top).
		_ = host.Set("check", func(c goja.FunctionCall) goja.Value {
			if _, err := voice.ParseVerb([]byte(c.Argument(0).String()), c.Argument(1).String(), ""); err != nil {
				throw(err)
			}
			return goja.Undefined()
		})
		// checkAttrs validates a dial whose targets are still to come.
		_ = host.Set("checkAttrs", func(c goja.FunctionCall) goja.Value {
			if err := voice.CheckAttrs([]byte(c.Argument(0).String())); err != nil {
				throw(err)
			}
			return goja.Undefined()
		})
		_ = host.Set("xml", func(c goja.FunctionCall) goja.Value {
			verbs, err := voice.ParseResponse([]byte(c.Argument(0).String()))
			if err != nil {
				throw(err)
			}
			out, err := voice.RenderXML(verbs)
			if err != nil {
				throw(err)
			}
			return r.vm.ToValue(string(out))
		})
	}
}

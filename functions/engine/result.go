package engine

import (
	"fmt"
	"net/http"
	"reflect"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

// What a call answers: its returned value once its promise settles, as a
// Response (a body stream read to its end) or as JSON.

// settle unwraps a returned Promise. goja drains the job queue before a
// call returns, so a promise still pending here waits on a timer (or, in
// time, a request): the event loop runs them until it settles.
func (r *run) settle(v goja.Value) (goja.Value, error) {
	// Export only a Promise: exporting any other value would copy it
	// whole into Go just to learn what it is not.
	obj, ok := v.(*goja.Object)
	if !ok || obj.ExportType() != promiseType {
		return v, nil
	}
	p := obj.Export().(*goja.Promise)
	if r.inv.Type == functions.TypeScript {
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError,
			Message: "Script functions are synchronous, but main returned a Promise; deploy the function as type 'app' to use async code"}
	}
	if p.State() == goja.PromiseStatePending {
		if err := r.runLoop(p); err != nil {
			return nil, err
		}
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return p.Result(), nil
	case goja.PromiseStateRejected:
		return nil, r.rejected(p.Result())
	default:
		if r.overMem {
			return nil, r.stalledOverMemory()
		}
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError,
			Message: "the function returned a Promise that never settles: nothing is left that could settle it (no timer or request is pending)"}
	}
}

// result turns the returned value into a Response or JSON.
func (r *run) result(v goja.Value) (*functions.Result, error) {
	if lib, ok := r.libs["response"]; ok && r.unwrap == nil { // fetch made Responses, and the global was not read
		r.unwrap, _ = goja.AssertFunction(lib.Get("unwrap"))
	}
	if r.unwrap != nil { // no Response can exist unless the library ran
		if parts, err := r.unwrap(goja.Undefined(), v); err != nil {
			return nil, err
		} else if arr, ok := parts.(*goja.Object); ok {
			return r.response(arr)
		}
	}
	if goja.IsUndefined(v) {
		return &functions.Result{JSON: []byte("null")}, nil
	}
	// One pass writes the text and bounds it (depth, the memory budget,
	// the run's stop), where a walk to check it and a stringify after
	// went over the value twice.
	overMem := r.overMem
	r.resultOver = false
	_, err := r.toJSON(goja.Undefined(), v)
	switch {
	case err != nil && r.resultOver:
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeBadResult,
			Message: fmt.Sprintf("the return value is more than %d bytes of JSON; the limit is %d", r.e.cfg.MaxResultBytes, r.e.cfg.MaxResultBytes)}
	case err != nil && r.overMem && !overMem:
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeMemoryLimit,
			Message: "the return value cannot be sent: " + exceptionText(err)}
	case err != nil:
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeBadResult,
			Message: "the return value is not JSON-serializable: " + exceptionText(err)}
	}
	out := r.resultText
	r.resultText = nil // a warm runtime keeps r: do not hold the text
	if out == nil {    // a function or symbol
		out = []byte("null")
	}
	return &functions.Result{JSON: out}, nil
}

func (r *run) response(parts *goja.Object) (*functions.Result, error) {
	resp := &functions.HTTPResponse{
		Status:  int(parts.Get("0").ToInteger()),
		Headers: map[string]string{},
	}
	hdrs := parts.Get("1").ToObject(r.vm)
	for _, k := range hdrs.Keys() {
		resp.Headers[k] = hdrs.Get(k).String()
	}
	body := parts.Get("2")
	if obj, ok := body.(*goja.Object); ok && obj.ExportType() != arrayBufferType {
		b, err := r.drainBody(obj) // a ReadableStream
		if err != nil {
			return nil, err
		}
		resp.Body = b
	} else {
		switch body := body.Export().(type) {
		case string:
			resp.Body = []byte(body)
		case goja.ArrayBuffer:
			resp.Body = body.Bytes()
		}
	}
	if len(resp.Body) > r.e.cfg.MaxResultBytes {
		return nil, tooLarge(len(resp.Body), r.e.cfg.MaxResultBytes)
	}
	return &functions.Result{Response: resp}, nil
}

var arrayBufferType = reflect.TypeFor[goja.ArrayBuffer]()

// drainBody reads a returned Response's body stream to its end, with the
// event loop running for it: within the output cap, and the run's time
// limit, which a stream that never ends meets.
func (r *run) drainBody(stream *goja.Object) ([]byte, error) {
	collect, _ := goja.AssertFunction(r.libExport("streams", "collect"))
	limit := r.e.cfg.MaxResultBytes
	v, err := collect(goja.Undefined(), stream, r.vm.ToValue(limit), r.vm.ToValue("the returned Response"), r.vm.ToValue(true))
	if err != nil {
		return nil, err
	}
	p := v.Export().(*goja.Promise)
	if p.State() == goja.PromiseStatePending {
		if err := r.runLoop(p); err != nil {
			return nil, err
		}
	}
	switch p.State() {
	case goja.PromiseStateRejected:
		return nil, r.rejected(p.Result())
	case goja.PromiseStatePending:
		if r.overMem {
			return nil, r.stalledOverMemory()
		}
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError,
			Message: "the returned Response's body stream never ends: nothing is left that could enqueue to it or close it (no timer or request is pending)"}
	}
	switch b := p.Result().Export().(type) {
	case []byte:
		return b, nil
	default: // past the limit: the bytes read
		return nil, tooLarge(int(p.Result().ToInteger()), limit)
	}
}

// rejected maps a rejection as classify maps a thrown error: a memory
// guard's RangeError that reached the function's promise is a memory limit.
func (r *run) rejected(v goja.Value) *functions.RunError {
	re := rejection(v)
	if r.overMem && re.SIPCode == 0 {
		re.Code = functions.CodeMemoryLimit
	}
	return re
}

// stalledOverMemory is the error of a run left waiting after a memory
// guard threw in a promise job, where nothing could catch it (a tee's
// branch that no one reads).
func (r *run) stalledOverMemory() *functions.RunError {
	return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeMemoryLimit,
		Message: "RangeError: " + r.overMemWhy + "; the function then waited for what it stopped"}
}

func tooLarge(n, limit int) error {
	return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeBadResult,
		Message: fmt.Sprintf("the response is %d bytes; the limit is %d", n, limit)}
}

package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// maxFormParts bounds the entries of a form body: a body of 100,000 tiny
// parts is refused rather than made into 100,000 objects.
const maxFormParts = 10_000

// FormFields are the text entries of a form body, for the gateway's data
// (a function gets data.name for a form field, whatever the encoding):
// the same limits and errors as formData().
func FormFields(body []byte, contentType string, maxBytes int) (map[string][]string, error) {
	parts, err := parseFormBody(body, contentType, float64(maxBytes))
	if err != nil {
		return nil, err
	}
	fields := map[string][]string{}
	for _, p := range parts {
		if !p.file {
			fields[p.name] = append(fields[p.name], p.value)
		}
	}
	return fields, nil
}

// formPart is one entry of a form body: a string value, or a file.
type formPart struct {
	name, value           string
	file                  bool
	filename, contentType string
	data                  []byte
}

// parseFormBody reads a multipart/form-data or
// application/x-www-form-urlencoded body, as Response.formData() does;
// an error for another content type, a malformed body, more than
// maxFormParts parts, or file contents past budget bytes in all.
func parseFormBody(body []byte, contentType string, budget float64) ([]formPart, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, fmt.Errorf("the content type %q cannot be read", contentType)
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		pairs := parseForm(string(body))
		if len(pairs) > maxFormParts {
			return nil, fmt.Errorf("the body has more than %d entries", maxFormParts)
		}
		out := make([]formPart, len(pairs))
		for i, p := range pairs {
			out[i] = formPart{name: p[0], value: p[1]}
		}
		return out, nil
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, errors.New("the multipart/form-data content type has no boundary")
		}
		return parseMultipart(body, boundary, budget)
	}
	return nil, fmt.Errorf("a body of type %q is not form data (multipart/form-data or application/x-www-form-urlencoded)", contentType)
}

func parseMultipart(body []byte, boundary string, budget float64) ([]formPart, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []formPart
	used := 0.0
	for {
		p, err := mr.NextRawPart() // raw: no Content-Transfer-Encoding games
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the multipart body is malformed: %v", err)
		}
		if len(out) == maxFormParts {
			return nil, fmt.Errorf("the body has more than %d parts", maxFormParts)
		}
		if p.FormName() == "" {
			return nil, errors.New("a part of the multipart body has no form-data name")
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("the multipart body is malformed: %v", err)
		}
		if used += float64(len(data)); used > budget {
			return nil, fmt.Errorf("the form data is larger than this function's memory limit")
		}
		part := formPart{name: formName(p.FormName())}
		if _, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition")); params != nil && hasParam(p.Header.Get("Content-Disposition"), "filename") {
			part.file, part.filename, part.data = true, formName(params["filename"]), data
			part.contentType = p.Header.Get("Content-Type")
			if part.contentType == "" {
				part.contentType = "text/plain"
			}
		} else {
			part.value = validUTF8(data)
		}
		out = append(out, part)
	}
}

// formName decodes what the multipart/form-data encoding escapes in names
// and file names (the Fetch standard's parser: %0A, %0D and %22).
var formName = strings.NewReplacer("%0A", "\n", "%0D", "\r", "%22", "\"").Replace

// hasParam tells whether a Content-Disposition names a parameter, even an
// empty one (filename="" is a file with no name).
func hasParam(disposition, name string) bool {
	for _, p := range strings.Split(disposition, ";")[1:] {
		if k, _, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
